// Package conformance runs ONNX backend-test cases (a folder holding
// model.onnx and test_data_set_*/input_N.pb, output_N.pb) against the engine.
// Each case can run in a child process so that a crash or a hang in one case
// is reported as that case's failure and never stops the run.
package conformance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
)

// Tolerance is the element-wise check |got−want| ≤ Atol + Rtol·|want| for
// floats; integers, bools and strings must match exactly; NaN equals NaN.
type Tolerance struct {
	Rtol, Atol float64
}

// Default is the tolerance `gonyx conformance` uses unless told otherwise.
var Default = Tolerance{Rtol: 1e-3, Atol: 1e-5}

// Result is one case's outcome.
type Result struct {
	Name   string `json:"name"`
	Status string `json:"status"` // "pass" or "fail"
	Reason string `json:"reason,omitempty"`
}

// Discover finds every case folder under the given paths (a path may be a
// case itself or a folder of cases, at any depth), sorted, each once.
func Discover(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var cases []string
	for _, root := range paths {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if _, err := os.Stat(filepath.Join(p, "model.onnx")); err == nil {
					abs, _ := filepath.Abs(p)
					if !seen[abs] {
						seen[abs] = true
						cases = append(cases, p)
					}
					return filepath.SkipDir
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(cases)
	return cases, nil
}

// CaseName is "<parent folder>/<case folder>", e.g. "node/test_add".
func CaseName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return filepath.Base(filepath.Dir(abs)) + "/" + filepath.Base(abs)
}

// RunCase loads the case's model and checks every test data set, in this
// process. It returns nil when all outputs match.
func RunCase(ctx context.Context, dir string, tol Tolerance) error {
	m, err := engine.Load(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	sort.Strings(sets)
	if len(sets) == 0 {
		return errors.New("no test_data_set_* folder")
	}
	for _, set := range sets {
		if err := runSet(ctx, m, set, tol); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(set), err)
		}
	}
	return nil
}

func runSet(ctx context.Context, m *engine.Model, set string, tol Tolerance) error {
	inputs, err := ReadInputs(m, set)
	if err != nil {
		return err
	}
	outs, err := m.RunValues(ctx, inputs)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	for k, o := range m.Outputs() {
		p := filepath.Join(set, fmt.Sprintf("output_%d.pb", k))
		buf, err := os.ReadFile(p)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return err
		}
		want, _, err := onnxpb.DecodeValue(buf, o.Type)
		if err != nil {
			return fmt.Errorf("output_%d.pb: %w", k, err)
		}
		want = halfBits(want, o.Type)
		if err := Compare(outs[o.Name], want, tol); err != nil {
			return fmt.Errorf("output %d %q: %w", k, o.Name, err)
		}
	}
	return nil
}

// ReadInputs reads input_<k>.pb files of a test data set folder, mapping
// input k to the k-th graph input that has no initializer.
func ReadInputs(m *engine.Model, set string) (map[string]tensor.Value, error) {
	inputs := map[string]tensor.Value{}
	for k, in := range m.Inputs() {
		p := filepath.Join(set, fmt.Sprintf("input_%d.pb", k))
		buf, err := os.ReadFile(p)
		if err != nil {
			if os.IsNotExist(err) {
				continue // an optional input the case leaves out
			}
			return nil, err
		}
		v, _, err := onnxpb.DecodeValue(buf, in.Type)
		if err != nil {
			return nil, fmt.Errorf("input_%d.pb: %w", k, err)
		}
		inputs[in.Name] = halfBits(v, in.Type)
	}
	return inputs, nil
}

// halfBits handles a quirk of the ONNX 1.12 test data: numpy has no
// bfloat16, so bfloat16 tensors were saved as UINT16 tensors holding the bit
// patterns. When the graph declares bfloat16 (or float16) and the file says
// uint16, the bits are taken as the declared type.
func halfBits(v tensor.Value, want *graph.Type) tensor.Value {
	t, ok := v.(*tensor.Tensor)
	if !ok || want == nil || want.Kind != graph.KindTensor || t.DType() != tensor.Uint16 {
		return v
	}
	bits := tensor.Data[uint16](t)
	switch want.Elem {
	case tensor.BFloat16:
		d := make([]tensor.BF16, len(bits))
		for i, b := range bits {
			d[i] = tensor.BF16(b)
		}
		return tensor.New(t.Shape(), d)
	case tensor.Float16:
		d := make([]tensor.F16, len(bits))
		for i, b := range bits {
			d[i] = tensor.F16(b)
		}
		return tensor.New(t.Shape(), d)
	}
	return v
}

// Compare checks got against want (tensors, sequences, optionals).
func Compare(got, want tensor.Value, tol Tolerance) error {
	switch w := want.(type) {
	case *tensor.Tensor:
		g, ok := got.(*tensor.Tensor)
		if !ok {
			if o, isOpt := got.(*tensor.Optional); isOpt && o.Value != nil {
				return Compare(o.Value, want, tol)
			}
			return fmt.Errorf("got %s, want a tensor", kind(got))
		}
		return compareTensors(g, w, tol)
	case *tensor.Sequence:
		g, ok := got.(*tensor.Sequence)
		if !ok {
			if o, isOpt := got.(*tensor.Optional); isOpt && o.Value != nil {
				return Compare(o.Value, want, tol)
			}
			return fmt.Errorf("got %s, want a sequence", kind(got))
		}
		if len(g.Tensors) != len(w.Tensors) {
			return fmt.Errorf("sequence length %d, want %d", len(g.Tensors), len(w.Tensors))
		}
		for i := range w.Tensors {
			if err := compareTensors(g.Tensors[i], w.Tensors[i], tol); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		return nil
	case *tensor.Optional:
		var inner tensor.Value = got
		if g, ok := got.(*tensor.Optional); ok {
			inner = g.Value
		}
		if w.Value == nil {
			if inner != nil {
				return fmt.Errorf("got %s, want an empty optional", kind(inner))
			}
			return nil
		}
		if inner == nil {
			return errors.New("got an empty optional, want a value")
		}
		return Compare(inner, w.Value, tol)
	}
	return fmt.Errorf("unexpected expected value %T", want)
}

func kind(v tensor.Value) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case *tensor.Tensor:
		return "a tensor " + x.DType().String() + fmt.Sprint(x.Shape())
	case *tensor.Sequence:
		return fmt.Sprintf("a sequence of %d", len(x.Tensors))
	case *tensor.Optional:
		if x.Value == nil {
			return "an empty optional"
		}
		return "an optional holding " + kind(x.Value)
	}
	return fmt.Sprintf("%T", v)
}

func compareTensors(g, w *tensor.Tensor, tol Tolerance) error {
	if g == nil {
		return errors.New("got no tensor")
	}
	if g.DType() != w.DType() {
		return fmt.Errorf("dtype %v, want %v", g.DType(), w.DType())
	}
	if !sameShape(g.Shape(), w.Shape()) {
		return fmt.Errorf("shape %v, want %v", g.Shape(), w.Shape())
	}
	switch w.DType() {
	case tensor.String:
		gs, ws := tensor.Data[string](g), tensor.Data[string](w)
		for i := range ws {
			if gs[i] != ws[i] {
				return fmt.Errorf("element %d is %q, want %q", i, gs[i], ws[i])
			}
		}
		return nil
	case tensor.Int64, tensor.Uint64, tensor.Int32, tensor.Uint32, tensor.Int16, tensor.Uint16,
		tensor.Int8, tensor.Uint8, tensor.Bool:
		gi, wi := g.Int64s(), w.Int64s()
		for i := range wi {
			if gi[i] != wi[i] {
				return fmt.Errorf("element %d is %d, want %d", i, gi[i], wi[i])
			}
		}
		return nil
	}
	gf, wf := g.Float64s(), w.Float64s()
	worst, worstAt := 0.0, -1
	for i := range wf {
		a, b := gf[i], wf[i]
		if math.IsNaN(a) && math.IsNaN(b) || a == b {
			continue
		}
		if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
			return fmt.Errorf("element %d is %v, want %v", i, a, b)
		}
		excess := math.Abs(a-b) - (tol.Atol + tol.Rtol*math.Abs(b))
		if excess > 0 && (worstAt < 0 || excess > worst) {
			worst, worstAt = excess, i
		}
	}
	if worstAt >= 0 {
		return fmt.Errorf("element %d is %v, want %v (|diff| %.3g beyond tolerance)", worstAt, gf[worstAt], wf[worstAt],
			math.Abs(gf[worstAt]-wf[worstAt]))
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
