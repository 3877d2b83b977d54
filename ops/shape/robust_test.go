package shape

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

var allOps = []string{
	"Compress", "Concat", "Constant", "ConstantOfShape", "DepthToSpace", "SpaceToDepth", "Expand", "EyeLike",
	"Flatten", "Gather", "GatherElements", "GatherND", "Identity", "NonZero", "OneHot", "Pad", "Range",
	"Reshape", "ReverseSequence", "Scatter", "ScatterElements", "ScatterND", "Shape", "Size", "Slice",
	"Split", "Squeeze", "Unsqueeze", "Tile", "Transpose", "Trilu", "Unique", "Dropout", "CenterCropPad",
	"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli",
}

func TestRegisteredVersions(t *testing.T) {
	want := map[string][]int{
		"Compress": {9, 11}, "Concat": {1, 4, 11, 13}, "Constant": {1, 9, 11, 12, 13, 19, 21, 23},
		"ConstantOfShape": {9, 20, 21, 23}, "DepthToSpace": {1, 11, 13}, "SpaceToDepth": {1, 13},
		"Expand": {8, 13}, "EyeLike": {9, 22}, "Flatten": {1, 9, 11, 13, 21, 23}, "Gather": {1, 11, 13},
		"GatherElements": {11, 13}, "GatherND": {11, 12, 13}, "Identity": {1, 13, 14, 16, 19, 21, 23},
		"NonZero": {9, 13}, "OneHot": {9, 11}, "Pad": {1, 2, 11, 13, 18, 19, 21, 23}, "Range": {11},
		"Reshape": {1, 5, 13, 14, 19, 21, 23}, "ReverseSequence": {10}, "Scatter": {9, 11},
		"ScatterElements": {11, 13, 16, 18}, "ScatterND": {11, 13, 16, 18}, "Shape": {1, 13, 15, 19, 21, 23},
		"Size": {1, 13, 19, 21, 23}, "Slice": {1, 10, 11, 13}, "Split": {1, 2, 11, 13, 18},
		"Squeeze": {1, 11, 13, 21, 23}, "Unsqueeze": {1, 11, 13, 21, 23}, "Tile": {1, 6, 13},
		"Transpose": {1, 13, 21, 23}, "Trilu": {14}, "Unique": {11}, "Dropout": {1, 6, 7, 10, 12, 13, 22},
		"CenterCropPad": {18}, "RandomNormal": {1, 22}, "RandomUniform": {1, 22}, "RandomNormalLike": {1, 22},
		"RandomUniformLike": {1, 22}, "Multinomial": {7, 22}, "Bernoulli": {15, 22},
	}
	for op, vs := range want {
		if _, ok := ops.Lookup("", op, vs[0]-1); ok && vs[0] > 1 {
			t.Errorf("%s resolves below its first version %d", op, vs[0])
		}
		for _, v := range vs {
			if _, ok := ops.Lookup("", op, v); !ok {
				t.Errorf("%s-%d not registered", op, v)
			}
		}
		if _, ok := ops.Lookup("", op, 23); !ok {
			t.Errorf("%s not available at opset 23", op)
		}
	}
	if len(want) != len(allOps) {
		t.Errorf("version table covers %d ops, allOps %d", len(want), len(allOps))
	}
}

// randTensor makes a small tensor with hostile contents: negative, huge and
// out-of-range values, zero-size dimensions, odd dtypes.
func randTensor(r *rand.Rand) *tensor.Tensor {
	rank := r.IntN(4)
	shape := make([]int, rank)
	for i := range shape {
		shape[i] = r.IntN(4)
	}
	if r.IntN(3) == 0 && rank > 0 {
		shape[0] = 1
	}
	n := ops.Product(shape)
	ival := func() int64 {
		switch r.IntN(12) {
		case 0:
			return math.MaxInt64
		case 1:
			return math.MinInt64
		case 2:
			return 1 << 40
		}
		return int64(r.IntN(11) - 5)
	}
	switch r.IntN(7) {
	case 0:
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(ival())
			if r.IntN(10) == 0 {
				v[i] = float32(math.NaN())
			}
		}
		return tensor.New(shape, v)
	case 1, 2:
		v := make([]int64, n)
		for i := range v {
			v[i] = ival()
		}
		return tensor.New(shape, v)
	case 3:
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(r.IntN(11) - 5)
		}
		return tensor.New(shape, v)
	case 4:
		v := make([]bool, n)
		for i := range v {
			v[i] = r.IntN(2) == 0
		}
		return tensor.New(shape, v)
	case 5:
		v := make([]string, n)
		for i := range v {
			v[i] = fmt.Sprint(r.IntN(3))
		}
		return tensor.New(shape, v)
	default:
		v := make([]tensor.F16, n)
		for i := range v {
			v[i] = tensor.NewF16(float32(r.IntN(5)) / 4)
		}
		return tensor.New(shape, v)
	}
}

func randAttrs(r *rand.Rand) []*graph.Attribute {
	small := func() int64 { return int64(r.IntN(9) - 4) }
	pool := []func() *graph.Attribute{
		func() *graph.Attribute { return iattr("axis", small()) },
		func() *graph.Attribute { return intsA("axes", small(), small()) },
		func() *graph.Attribute { return intsA("perm", small(), small(), small()) },
		func() *graph.Attribute { return intsA("split", small(), small()) },
		func() *graph.Attribute { return intsA("starts", small()) },
		func() *graph.Attribute { return intsA("ends", small()) },
		func() *graph.Attribute { return intsA("pads", small(), small()) },
		func() *graph.Attribute { return intsA("shape", small(), small()) },
		func() *graph.Attribute { return iattr("blocksize", small()) },
		func() *graph.Attribute { return iattr("batch_dims", small()) },
		func() *graph.Attribute { return iattr("num_outputs", small()) },
		func() *graph.Attribute { return iattr("upper", small()) },
		func() *graph.Attribute { return iattr("sorted", small()) },
		func() *graph.Attribute { return iattr("k", small()) },
		func() *graph.Attribute { return iattr("dtype", int64(r.IntN(18))) },
		func() *graph.Attribute { return iattr("sample_size", small()) },
		func() *graph.Attribute { return iattr("allowzero", small()) },
		func() *graph.Attribute { return iattr("start", small()) },
		func() *graph.Attribute { return iattr("end", small()) },
		func() *graph.Attribute { return iattr("time_axis", small()) },
		func() *graph.Attribute { return iattr("batch_axis", small()) },
		func() *graph.Attribute {
			return opstest.String("mode", []string{"constant", "reflect", "edge", "wrap", "DCR", "CRD", "x"}[r.IntN(7)])
		},
		func() *graph.Attribute {
			return opstest.String("reduction", []string{"none", "add", "mul", "max", "min", "x"}[r.IntN(6)])
		},
		func() *graph.Attribute { return opstest.TensorAttr("value", randTensor(r)) },
		func() *graph.Attribute { return iattr("value_int", small()) },
		func() *graph.Attribute { return opstest.Float("seed", 1) },
	}
	var out []*graph.Attribute
	for i := r.IntN(4); i > 0; i-- {
		out = append(out, pool[r.IntN(len(pool))]())
	}
	return out
}

// TestNoPanics throws random, mostly invalid inputs at every kernel: each
// must return a result or an error, never panic.
func TestNoPanics(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	opsets := []int{1, 2, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 22, 23}
	iters := 300
	if testing.Short() {
		iters = 50
	}
	for _, name := range allOps {
		for it := 0; it < iters; it++ {
			op := opstest.Op{Type: name, Opset: opsets[r.IntN(len(opsets))], Attrs: randAttrs(r), Outputs: 1 + r.IntN(4)}
			var in []*tensor.Tensor
			if r.IntN(4) == 0 {
				in = make([]*tensor.Tensor, r.IntN(5))
				for i := range in {
					if r.IntN(8) > 0 {
						in[i] = randTensor(r)
					}
				}
			} else {
				in = plausibleInputs(r, name)
			}
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("%s opset %d attrs %v inputs %v: panic: %v", name, op.Opset, attrString(op.Attrs), in, p)
					}
				}()
				_, _ = opstest.Run(op, in...)
			}()
		}
	}
}

func attrString(as []*graph.Attribute) string {
	s := ""
	for _, a := range as {
		s += fmt.Sprintf("%s=%v%v%s%v ", a.Name, a.I, a.Ints, a.S, a.T)
	}
	return s
}

// TestConcurrentRuns runs one built kernel from several goroutines.
func TestConcurrentRuns(t *testing.T) {
	b, _ := ops.Lookup("", "Transpose", 13)
	k, err := b(&ops.Node{Node: &graph.Node{OpType: "Transpose", Inputs: []string{"x"}, Outputs: []string{"y"},
		Attrs: map[string]*graph.Attribute{"perm": intsA("perm", 1, 0)}}, Opset: 13})
	if err != nil {
		t.Fatal(err)
	}
	x := f32(sh(40, 50), seq(2000)...)
	_, want := naiveTranspose([]int{40, 50}, []int{1, 0}, seq(2000))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				out, err := k.Run(&ops.RunContext{}, []tensor.Value{x})
				if err != nil {
					errs <- err
					return
				}
				if err := opstest.Close(out[0].(*tensor.Tensor), f32(sh(50, 40), want...), 0, 0); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// The input is untouched.
	if err := opstest.Close(x, f32(sh(40, 50), seq(2000)...), 0, 0); err != nil {
		t.Fatal(err)
	}
}

// plausibleInputs builds inputs of the right kinds for op (data tensors of
// one dtype, integer index/shape tensors with small, possibly out-of-range
// values) so that the fuzzing reaches the kernels' main paths.
func plausibleInputs(r *rand.Rand, op string) []*tensor.Tensor {
	rank := r.IntN(5)
	base := make([]int, rank)
	for i := range base {
		base[i] = r.IntN(5)
		if r.IntN(4) == 0 {
			base[i] = 1
		}
	}
	dtypes := []tensor.DType{tensor.Float32, tensor.Int64, tensor.String, tensor.Bool, tensor.Float16, tensor.Uint8, tensor.Float64, tensor.Int32}
	dt := dtypes[r.IntN(len(dtypes))]
	if r.IntN(3) == 0 {
		dt = tensor.Float32
	}
	mk := func(dt tensor.DType, shape []int) *tensor.Tensor {
		n := ops.Product(shape)
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = float64(r.IntN(9) - 3)
			if dt.IsFloat() && r.IntN(20) == 0 {
				vals[i] = math.NaN()
			}
		}
		t, err := tensor.FromFloat64s(dt, shape, vals)
		if err != nil {
			panic(err)
		}
		return t
	}
	mutate := func(shape []int) []int {
		out := append([]int{}, shape...)
		for i := range out {
			if r.IntN(3) == 0 {
				out[i] = r.IntN(4)
			}
		}
		return out
	}
	data := func() *tensor.Tensor { return mk(dt, base) }
	iv := func(n int) *tensor.Tensor {
		v := make([]int64, n)
		for i := range v {
			v[i] = int64(r.IntN(11) - 5)
			if r.IntN(25) == 0 {
				v[i] = []int64{math.MaxInt64, math.MinInt64, 1 << 40}[r.IntN(3)]
			}
		}
		return tensor.New([]int{n}, v)
	}
	idx := func() *tensor.Tensor {
		shape := mutate(base)
		if r.IntN(3) == 0 {
			shape = shape[:r.IntN(len(shape)+1)]
		}
		return mk(tensor.Int64, shape)
	}
	sc := func() *tensor.Tensor { return tensor.Scalar(int64(r.IntN(9) - 4)) }
	switch op {
	case "Compress":
		return []*tensor.Tensor{data(), mk(tensor.Bool, []int{r.IntN(6)})}
	case "Concat":
		return []*tensor.Tensor{data(), mk(dt, mutate(base)), mk(dt, mutate(base))}
	case "ConstantOfShape", "Range":
		return []*tensor.Tensor{iv(r.IntN(4)), sc(), sc()}
	case "DepthToSpace", "SpaceToDepth":
		return []*tensor.Tensor{mk(dt, []int{r.IntN(3), r.IntN(9), r.IntN(5), r.IntN(5)})}
	case "Expand", "Reshape", "Tile", "Split", "Squeeze", "Unsqueeze", "CenterCropPad", "ReverseSequence":
		return []*tensor.Tensor{data(), iv(r.IntN(rank + 2))}
	case "Gather", "GatherElements", "GatherND":
		return []*tensor.Tensor{data(), idx()}
	case "Scatter", "ScatterElements", "ScatterND":
		ind := idx()
		upd := ind.Shape()
		if op == "ScatterND" && len(upd) > 0 {
			k := upd[len(upd)-1]
			upd = append(append([]int{}, upd[:len(upd)-1]...), base[min(k, len(base)):]...)
		}
		return []*tensor.Tensor{data(), ind, mk(dt, upd)}
	case "OneHot":
		return []*tensor.Tensor{idx(), sc(), mk(dt, []int{2})}
	case "Pad":
		return []*tensor.Tensor{data(), iv(2 * rank), mk(dt, nil), iv(rank)}
	case "Slice":
		n := r.IntN(rank + 1)
		return []*tensor.Tensor{data(), iv(n), iv(n), iv(n), iv(n)}
	case "Trilu":
		return []*tensor.Tensor{data(), sc()}
	case "Multinomial":
		return []*tensor.Tensor{mk(tensor.Float32, []int{r.IntN(3), r.IntN(4)})}
	}
	return []*tensor.Tensor{data()}
}
