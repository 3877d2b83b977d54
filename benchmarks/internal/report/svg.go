package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strings"
)

// palette colours the configurations' bars (cycled).
var palette = []string{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"}

// Ticks125 lists the values 1, 2 and 5 × 10^k that lie in [lo, hi].
func Ticks125(lo, hi float64) []float64 {
	if !(lo > 0) || !(hi >= lo) {
		return nil
	}
	var out []float64
	for k := math.Floor(math.Log10(lo)) - 1; k <= math.Ceil(math.Log10(hi))+1; k++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, k)
			// compare with a little slack so that 0.2 == 2e-1 etc.
			if v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
				out = append(out, v)
			}
		}
	}
	return out
}

// snap125 widens [lo, hi] to the nearest 1-2-5 values outside it.
func snap125(lo, hi float64) (float64, float64) {
	down := func(x float64) float64 {
		p := math.Pow(10, math.Floor(math.Log10(x)))
		for _, m := range []float64{5, 2, 1} {
			if m*p <= x*(1+1e-9) {
				return m * p
			}
		}
		return p
	}
	up := func(x float64) float64 {
		p := math.Pow(10, math.Floor(math.Log10(x)))
		for _, m := range []float64{1, 2, 5, 10} {
			if m*p >= x*(1-1e-9) {
				return m * p
			}
		}
		return 10 * p
	}
	return down(lo), up(hi)
}

// Chart geometry (pixels).
const (
	svgWidth   = 900
	plotLeft   = 150
	plotWidth  = 620
	barHeight  = 12
	barGap     = 2
	groupGap   = 12
	plotTop    = 70
	axisHeight = 40
)

// Axis maps ratios to x positions on a log scale.
type Axis struct{ Lo, Hi float64 }

// X is the pixel column of ratio r.
func (a Axis) X(r float64) float64 {
	return plotLeft + plotWidth*(math.Log(r)-math.Log(a.Lo))/(math.Log(a.Hi)-math.Log(a.Lo))
}

// ChartAxis is the axis SVG uses for the report: it always shows 0.5…2 and
// widens to every ratio (with room for a label left of the smallest),
// snapped to 1-2-5 values.
func ChartAxis(r Report) Axis {
	lo, hi := 0.5, 2.0
	for _, c := range r.Configs {
		for _, row := range c.Rows {
			if x, ok := row.Ratio(); ok {
				// room for the value labels beside the bars' ends
				lo, hi = math.Min(lo, x/1.5), math.Max(hi, x)
			}
		}
	}
	lo, hi = snap125(lo, hi)
	return Axis{lo, hi}
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// SVG draws the gonyx/ORT ratio of every model (one group of bars per
// model, one bar per configuration) on a log axis, with a line at parity.
// Each bar is a <rect class="bar"> starting at ratio 1.
func SVG(r Report) string {
	var models []string
	seen := map[string]bool{}
	for _, c := range r.Configs {
		for _, row := range c.Rows {
			if !seen[row.Model] {
				seen[row.Model] = true
				models = append(models, row.Model)
			}
		}
	}
	nc := len(r.Configs)
	groupH := nc*(barHeight+barGap) - barGap
	if nc == 0 {
		groupH = barHeight
	}
	plotH := len(models)*(groupH+groupGap) + groupGap
	height := plotTop + plotH + axisHeight
	ax := ChartAxis(r)

	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", svgWidth, height, svgWidth, height)
	w(`<title>gonyx / ONNX Runtime median latency ratio</title>` + "\n")
	w(`<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>`+"\n", svgWidth, height)
	w(`<text x="%d" y="22" font-size="15" font-weight="bold">gonyx median latency ÷ ONNX Runtime median latency</text>`+"\n", plotLeft)
	w(`<text x="%d" y="40" fill="#555555">log scale; left of the black line gonyx is faster, right of it slower</text>`+"\n", plotLeft)
	// legend
	lx := plotLeft
	for i, c := range r.Configs {
		w(`<rect x="%d" y="50" width="10" height="10" fill="%s"/><text x="%d" y="59">%s</text>`+"\n", lx, palette[i%len(palette)], lx+14, esc(c.Label()))
		lx += 70
	}
	// grid and tick labels
	axisY := plotTop + plotH
	for _, t := range Ticks125(ax.Lo, ax.Hi) {
		x := ax.X(t)
		w(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#dddddd"/>`+"\n", x, plotTop, x, axisY)
		w(`<text x="%.1f" y="%d" text-anchor="middle" fill="#555555">%s</text>`+"\n", x, axisY+16, esc(tickLabel(t)))
	}
	w(`<text x="%d" y="%d" text-anchor="middle" fill="#555555">ratio gonyx / ORT</text>`+"\n", plotLeft+plotWidth/2, axisY+34)
	// bars
	y := plotTop + groupGap
	for _, m := range models {
		w(`<text x="%d" y="%d" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", plotLeft-8, y+groupH/2, esc(m))
		for i, c := range r.Configs {
			by := y + i*(barHeight+barGap)
			row, found := findRow(c, m)
			switch x, ok := row.Ratio(); {
			case !found:
				// model not in this configuration: leave the slot empty
			case ok:
				x0, x1 := ax.X(1), ax.X(x)
				left, width := math.Min(x0, x1), math.Max(math.Abs(x1-x0), 1)
				w(`<rect class="bar" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s %s: %s</title></rect>`+"\n",
					left, by, width, barHeight, palette[i%len(palette)], esc(m), esc(c.Label()), esc(FormatRatio(x)))
				lx, anchor := x1+4, "start"
				if x < 1 {
					lx, anchor = x1-4, "end"
				}
				w(`<text x="%.1f" y="%d" font-size="10" text-anchor="%s" dominant-baseline="middle">%s</text>`+"\n", lx, by+barHeight/2, anchor, esc(FormatRatio(x)))
			default:
				who := "gonyx"
				if row.Gonyx.OK() {
					who = "ORT"
				}
				w(`<text class="fail" x="%.1f" y="%d" font-size="10" font-style="italic" fill="#888888" dominant-baseline="middle">%s %s fails</text>`+"\n",
					ax.X(1)+4, by+barHeight/2, esc(c.Label()), who)
			}
		}
		y += groupH + groupGap
	}
	w(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000000" stroke-width="1.5"/>`+"\n", ax.X(1), plotTop, ax.X(1), axisY)
	if len(models) == 0 {
		w(`<text x="%d" y="%d" fill="#888888">no results</text>`+"\n", plotLeft, plotTop+12)
	}
	w("</svg>\n")
	return b.String()
}

func findRow(c Config, model string) (Row, bool) {
	for _, r := range c.Rows {
		if r.Model == model {
			return r, true
		}
	}
	return Row{}, false
}

func tickLabel(t float64) string {
	s := fmt.Sprintf("%g", t)
	return s + "×"
}
