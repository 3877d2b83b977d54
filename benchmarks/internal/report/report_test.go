package report

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestAggregate(t *testing.T) {
	cases := []struct {
		in   []float64
		mode string
		want float64
	}{
		{[]float64{3, 1, 2}, AggBest, 1},
		{[]float64{3, 1, 2}, AggMedian, 2},
		{[]float64{4, 1, 3, 2}, AggMedian, 2.5},
		{[]float64{7}, AggMedian, 7},
	}
	for _, c := range cases {
		got, err := Aggregate(c.in, c.mode)
		if err != nil || got != c.want {
			t.Errorf("Aggregate(%v, %s) = %v, %v; want %v", c.in, c.mode, got, err, c.want)
		}
	}
	if _, err := Aggregate(nil, AggBest); err == nil {
		t.Error("no medians accepted")
	}
	if _, err := Aggregate([]float64{1}, "mean"); err == nil {
		t.Error("unknown mode accepted")
	}
	in := []float64{3, 1, 2}
	Aggregate(in, AggMedian)
	if !reflect.DeepEqual(in, []float64{3, 1, 2}) {
		t.Errorf("Aggregate reordered its input: %v", in)
	}
}

func ok(tool string, ms float64) Cell { return Cell{Tool: tool, MedianMS: ms} }

func sample() Report {
	return Report{
		Date: "2025-01-02 03:04 UTC", CPU: "Test CPU", NProc: 2, LoadStart: "load average: 0.10, 0.20, 0.30",
		Command: "make bench-compare BENCH_ARGS='--quick'", ORTVersion: "1.30.0",
		Options:   Options{Runs: 5, Warmup: 1, Rounds: 1, Seq: 32, Aggregation: AggBest, Timeout: "10m0s"},
		PeerTools: []string{"gonnx"},
		Configs: []Config{
			{Threads: 1, Batch: 1, Peers: true, Rows: []Row{
				{Model: "mlp", Gonyx: ok("gonyx", 2), ORT: ok("ORT", 1), Peers: []Cell{ok("gonnx", 4)}},
				{Model: "cnn", Gonyx: Cell{Tool: "gonyx", Fail: "fails: unsupported operator Conv | x"}, ORT: ok("ORT", 0.5),
					Peers: []Cell{{Tool: "gonnx", Fail: "fails: unsupported operator: MaxPool"}}},
				{Model: "bert", Gonyx: ok("gonyx", 10), ORT: ok("ORT", 20)},
			}},
			{Threads: 2, Batch: 8, Rows: []Row{
				{Model: "mlp", Gonyx: ok("gonyx", 8), ORT: ok("ORT", 1)},
			}},
		},
	}
}

func TestRatioAndGeoMean(t *testing.T) {
	r := sample()
	if x, ok := r.Configs[0].Rows[0].Ratio(); !ok || x != 2 {
		t.Errorf("mlp ratio %v %v, want 2", x, ok)
	}
	if _, ok := r.Configs[0].Rows[1].Ratio(); ok {
		t.Error("ratio of a failed gonyx cell")
	}
	// ratios 2 and 0.5: geometric mean 1 over 2 models
	if g, n := r.Configs[0].GeoMeanRatio(); n != 2 || math.Abs(g-1) > 1e-12 {
		t.Errorf("geomean %v over %d, want 1 over 2", g, n)
	}
	if g, n := (Config{}).GeoMeanRatio(); g != 0 || n != 0 {
		t.Errorf("empty geomean %v %d", g, n)
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[float64]string{0.0456: "0.046", 12.345: "12.35", 123.45: "123.5", 4321.4: "4321"} {
		if got := FormatMS(in); got != want {
			t.Errorf("FormatMS(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[float64]string{0.8123: "0.81×", 21.84: "21.8×", 123.4: "123×"} {
		if got := FormatRatio(in); got != want {
			t.Errorf("FormatRatio(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	md := Markdown(sample(), "performance.svg")
	for _, want := range []string{
		"make bench-compare BENCH_ARGS='--quick'\n",
		"| machine | Test CPU, nproc 2 |",
		"| load at start (`uptime`) | load average: 0.10, 0.20, 0.30 |",
		"best (lowest) of the rounds' medians",
		"![gonyx / ORT latency ratio per model and configuration](performance.svg)",
		"| T1 B1 | 2 of 3 | 1.00× |",
		"| T2 B8 | 1 of 1 | 8.00× |",
		"## 1 thread(s), batch 1",
		"| mlp | 2.000 | 1.000 | 2.00× | gonnx: 4.000 ms (4.00× ORT) |",
		`| cnn | fails: unsupported operator Conv \| x | 0.500 | — | gonnx: fails: unsupported operator: MaxPool |`,
		"| bert | 10.00 | 20.00 | 0.50× | not run |",
		"## 2 thread(s), batch 8",
		"| mlp | 8.000 | 1.000 | 8.00× | — |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q\n%s", want, md)
		}
	}
	// every table row has the header's five columns (escaped pipes aside)
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| mlp") || strings.HasPrefix(line, "| cnn") || strings.HasPrefix(line, "| bert") {
			if n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); n != 6 {
				t.Errorf("row has %d pipes, want 6: %s", n, line)
			}
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	b, err := sample().JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, sample()) {
		t.Errorf("round trip changed the report:\n%s", b)
	}
}

func TestTicksAndSnap(t *testing.T) {
	if got, want := Ticks125(0.5, 20), []float64{0.5, 1, 2, 5, 10, 20}; !reflect.DeepEqual(got, want) {
		t.Errorf("Ticks125(0.5, 20) = %v, want %v", got, want)
	}
	if got := Ticks125(3, 4); len(got) != 0 {
		t.Errorf("Ticks125(3, 4) = %v, want none", got)
	}
	for _, c := range [][4]float64{{0.81, 21.8, 0.5, 50}, {0.5, 2, 0.5, 2}, {0.19, 101, 0.1, 200}} {
		lo, hi := snap125(c[0], c[1])
		if math.Abs(lo-c[2]) > 1e-12 || math.Abs(hi-c[3]) > 1e-9 {
			t.Errorf("snap125(%v, %v) = %v, %v; want %v, %v", c[0], c[1], lo, hi, c[2], c[3])
		}
	}
}

type svgRect struct {
	Class string  `xml:"class,attr"`
	X     float64 `xml:"x,attr"`
	Width float64 `xml:"width,attr"`
}

// parseSVG checks that s is well-formed XML with an <svg> root and returns
// its bar rectangles and the texts of class "fail".
func parseSVG(t *testing.T, s string) (bars []svgRect, fails []string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(s))
	depth, root := 0, ""
	inFail := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v\n%s", err, s)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				root = el.Name.Local
				if el.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("root namespace %q", el.Name.Space)
				}
			}
			depth++
			var class string
			for _, a := range el.Attr {
				if a.Name.Local == "class" {
					class = a.Value
				}
			}
			if el.Name.Local == "rect" && class == "bar" {
				var r svgRect
				for _, a := range el.Attr {
					switch a.Name.Local {
					case "x":
						r.X, _ = strconv.ParseFloat(a.Value, 64)
					case "width":
						r.Width, _ = strconv.ParseFloat(a.Value, 64)
					}
				}
				r.Class = class
				bars = append(bars, r)
			}
			inFail = el.Name.Local == "text" && class == "fail"
		case xml.CharData:
			if inFail {
				fails = append(fails, string(el))
			}
		case xml.EndElement:
			depth--
			inFail = false
		}
	}
	if root != "svg" || depth != 0 {
		t.Errorf("root %q, depth at end %d", root, depth)
	}
	return bars, fails
}

func TestSVG(t *testing.T) {
	r := sample()
	r.Configs[0].Rows[0].Model = "mlp <&> \"x\"" // must be escaped
	r.Configs[1].Rows[0].Model = r.Configs[0].Rows[0].Model
	bars, fails := parseSVG(t, SVG(r))
	// ratios 2 (mlp T1B1), 0.5 (bert T1B1), 8 (mlp T2B8); cnn fails
	if len(bars) != 3 {
		t.Fatalf("%d bars, want 3", len(bars))
	}
	if len(fails) != 1 || fails[0] != "T1 B1 gonyx fails" {
		t.Errorf("fail labels %q", fails)
	}
	ax := ChartAxis(r)
	one := ax.X(1)
	// bars are drawn per model group in first-appearance order: mlp(T1B1, T2B8), bert(T1B1)
	w2, w8, wHalf := bars[0].Width, bars[1].Width, bars[2].Width
	if math.Abs(bars[0].X-one) > 0.1 || math.Abs(bars[1].X-one) > 0.1 {
		t.Errorf("slower-than-ORT bars start at %v, %v; want the parity line %v", bars[0].X, bars[1].X, one)
	}
	// log scale: ratio 8 is three times as long as ratio 2; ratio 0.5 as long as 2, to the left
	if math.Abs(w8-3*w2) > 0.2 {
		t.Errorf("width(8) = %v, want 3 × width(2) = %v", w8, 3*w2)
	}
	if math.Abs(wHalf-w2) > 0.2 || math.Abs(bars[2].X+wHalf-one) > 0.2 {
		t.Errorf("ratio 0.5 bar x=%v w=%v; want width %v ending at %v", bars[2].X, wHalf, w2, one)
	}
}

func TestSVGEmpty(t *testing.T) {
	bars, _ := parseSVG(t, SVG(Report{}))
	if len(bars) != 0 {
		t.Errorf("%d bars in an empty chart", len(bars))
	}
}

func TestMarkdownAnalysis(t *testing.T) {
	r := sample()
	if md := Markdown(r, "performance.svg"); strings.Contains(md, "## Analysis") {
		t.Error("an empty analysis still got a section")
	}
	r.Analysis = "The biggest gap is **conv**.\n"
	md := Markdown(r, "performance.svg")
	if !strings.Contains(md, "## Analysis") || !strings.Contains(md, "The biggest gap is **conv**.") {
		t.Errorf("analysis missing:\n%s", md)
	}
}
