package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gonyx/gonyx/benchmarks/internal/manifest"
	"github.com/gonyx/gonyx/benchmarks/internal/report"
)

// timeoutAt remembers where a tool timed out on a model.
type timeoutAt struct {
	batch int
	label string
}

type runner struct {
	o          options
	ortScript  string
	peers      []peerInfo
	timedOut   map[string]timeoutAt // tool + "/" + model
	ortVersion string
	notes      map[string]bool
	opset      int // the manifest's opset
}

func (r *runner) note(s string) { r.notes[s] = true }

func (r *runner) noteList() []string {
	var out []string
	for n := range r.notes {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// job is one tool on one model in one configuration, across rounds.
type job struct {
	tool    string
	argv    func(round int) []string // nil: cannot run, see cell.Fail
	cell    report.Cell
	bestP90 float64
	done    bool
}

// measure runs every tool on model m at t threads and batch b, alternating
// the tools round by round, and returns the table row.
func (r *runner) measure(m manifest.Model, t, b int, withPeers bool) report.Row {
	o := r.o
	modelPath := filepath.Join(o.modelsDir, m.File)
	common := []string{"--model", modelPath, "--batch", strconv.Itoa(b), "--threads", strconv.Itoa(t),
		"--runs", strconv.Itoa(o.runs), "--warmup", strconv.Itoa(o.warmup), "--seq", strconv.Itoa(o.seq)}
	jobs := []*job{
		{tool: "gonyx", argv: func(int) []string {
			return append(append([]string{o.gonyx, "bench"}, common...), "--json")
		}},
		{tool: "ORT", argv: func(int) []string {
			return append([]string{o.node, r.ortScript}, common...)
		}},
	}
	if withPeers {
		for _, p := range r.peers {
			jobs = append(jobs, r.peerJob(p, m, modelPath, common, b))
		}
	}
	for _, j := range jobs {
		j.cell.Tool = j.tool
		if j.argv == nil {
			j.done = true
			continue
		}
		if at, ok := r.timedOut[j.tool+"/"+m.Name]; ok && b >= at.batch {
			j.cell.Fail = "skipped: timed out at " + at.label
			j.done = true
		}
	}
	label := fmt.Sprintf("T%d B%d", t, b)
	for round := 1; round <= o.rounds; round++ {
		for _, j := range jobs {
			if j.done {
				continue
			}
			argv := j.argv(round)
			logPath := filepath.Join(o.logDir, fmt.Sprintf("%s-%s-T%d-B%d-r%d.log", m.Name, strings.ToLower(j.tool), t, b, round))
			out := invoke(argv, o.timeout, logPath)
			if out.fail != "" {
				fmt.Fprintf(os.Stderr, "[%s] %-16s %-8s round %d/%d: %s (%.1fs)\n", label, m.Name, j.tool, round, o.rounds, out.fail, out.elapsed.Seconds())
				if out.timedOut {
					r.timedOut[j.tool+"/"+m.Name] = timeoutAt{b, label}
				}
				if len(j.cell.Rounds) == 0 {
					j.cell.Fail = out.fail
				} else {
					j.cell.Note = strings.TrimSpace(j.cell.Note + fmt.Sprintf(" round %d %s", round, out.fail))
				}
				j.done = true
				continue
			}
			res := out.res
			fmt.Fprintf(os.Stderr, "[%s] %-16s %-8s round %d/%d: median %s ms (%.1fs)\n", label, m.Name, j.tool, round, o.rounds, report.FormatMS(res.MedianMS), out.elapsed.Seconds())
			if j.tool == "ORT" && res.ORTVersion != "" {
				r.ortVersion = res.ORTVersion
			}
			if res.Version != "" {
				r.note(fmt.Sprintf("%s is %s.", j.tool, res.Version))
			}
			if res.Batch != b || res.Threads != t {
				j.cell.Note = strings.TrimSpace(j.cell.Note + fmt.Sprintf(" reported batch %d threads %d", res.Batch, res.Threads))
			}
			if len(j.cell.Rounds) == 0 || res.MedianMS < minOf(j.cell.Rounds) {
				j.bestP90 = res.P90MS
			}
			if len(j.cell.Rounds) == 0 || res.MinMS < j.cell.MinMS {
				j.cell.MinMS = res.MinMS
			}
			j.cell.Rounds = append(j.cell.Rounds, res.MedianMS)
			if res.Check != "" && j.cell.Check == "" {
				j.cell.Check = res.Check
			}
			if res.Note != "" && !strings.Contains(j.cell.Note, res.Note) {
				j.cell.Note = strings.TrimSpace(res.Note + " " + j.cell.Note)
			}
		}
	}
	for _, j := range jobs {
		if len(j.cell.Rounds) > 0 {
			j.cell.MedianMS, _ = report.Aggregate(j.cell.Rounds, o.agg)
			j.cell.P90MS = j.bestP90
			j.cell.Fail = ""
			if j.cell.MedianMS == 0 {
				j.cell.Fail = "fails: median below the 0.001 ms resolution"
			}
		}
	}
	row := report.Row{Model: m.Name, Gonyx: jobs[0].cell, ORT: jobs[1].cell}
	for _, j := range jobs[2:] {
		row.Peers = append(row.Peers, j.cell)
	}
	return row
}

// peerJob prepares a peer runner for model m (batch b): its input specs
// come from the manifest, its output check from test_data_set_0 (first
// round only).
func (r *runner) peerJob(p peerInfo, m manifest.Model, modelPath string, common []string, b int) *job {
	j := &job{tool: p.name}
	bin := filepath.Join(r.o.binDir, p.binary)
	if _, err := os.Stat(bin); err != nil {
		reason := "not built"
		if log, err := os.ReadFile(bin + ".build.log"); err == nil {
			if line := firstErrorLine(string(log)); line != "" {
				reason = "does not build: " + line
			}
		}
		j.cell.Fail = "fails: " + reason
		r.note(fmt.Sprintf("%s: %s (%s).", p.name, reason, bin))
		return j
	}
	var specs []string
	for _, in := range m.Inputs {
		s, err := manifest.PeerSpec(in, b, r.o.seq)
		if err != nil {
			j.cell.Fail = "fails: " + err.Error()
			return j
		}
		specs = append(specs, "--input", s)
	}
	checkDir := filepath.Join(filepath.Dir(modelPath), "test_data_set_0")
	j.argv = func(round int) []string {
		argv := append(append([]string{bin}, common...), specs...)
		if p.name == "gonnx" && r.o.gonnxOpset > 0 {
			argv = append(argv, "--force-opset", strconv.Itoa(r.o.gonnxOpset))
		}
		if round == 1 {
			if _, err := os.Stat(checkDir); err == nil {
				argv = append(argv, "--check", checkDir)
			}
		}
		return argv
	}
	if p.name == "gonnx" && r.o.gonnxOpset > 0 {
		r.note(fmt.Sprintf("gonnx implements ONNX opset 13 only and refuses these opset-%d models; its runner relabels the model as opset %d (--gonnx-opset), and the output check on test_data_set_0 catches an operator whose meaning changed.", r.opset, r.o.gonnxOpset))
	}
	return j
}

func firstErrorLine(log string) string {
	for _, l := range strings.Split(log, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return ""
}

func minOf(xs []float64) float64 {
	m := xs[0]
	for _, x := range xs[1:] {
		m = min(m, x)
	}
	return m
}
