package conv

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.New(shape, v) }

func seq(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return v
}

func ones(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// runConst builds op with the listed inputs marked as load-time constants.
func runConst(t *testing.T, op opstest.Op, consts []int, inputs ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	t.Helper()
	g := &graph.Node{Name: "test", OpType: op.Type, Attrs: map[string]*graph.Attribute{}, Outputs: []string{"y"}}
	for _, a := range op.Attrs {
		g.Attrs[a.Name] = a
	}
	n := &ops.Node{Node: g, Opset: op.Opset, Consts: make([]*tensor.Tensor, len(inputs))}
	for i, in := range inputs {
		name := ""
		if in != nil {
			name = fmt.Sprintf("in%d", i)
		}
		g.Inputs = append(g.Inputs, name)
	}
	for _, c := range consts {
		n.Consts[c] = inputs[c]
	}
	b, ok := ops.Lookup("", op.Type, op.Opset)
	if !ok {
		t.Fatalf("no kernel for %s-%d", op.Type, op.Opset)
	}
	k, err := b(n)
	if err != nil {
		return nil, err
	}
	vals := make([]tensor.Value, len(inputs))
	for i, in := range inputs {
		if in != nil {
			vals[i] = in
		}
	}
	outs, err := k.Run(&ops.RunContext{Ctx: context.Background()}, vals)
	if err != nil {
		return nil, err
	}
	res := make([]*tensor.Tensor, len(outs))
	for i, o := range outs {
		res[i], _ = o.(*tensor.Tensor)
	}
	return res, nil
}

func convOp(attrs ...*graph.Attribute) opstest.Op {
	return opstest.Op{Type: "Conv", Opset: 11, Attrs: attrs}
}

func TestConvSpecExamples(t *testing.T) {
	x := f32([]int{1, 1, 5, 5}, seq(25)...)
	w := f32([]int{1, 1, 3, 3}, ones(9)...)
	opstest.Expect(t, convOp(opstest.Ints("kernel_shape", 3, 3), opstest.Ints("pads", 1, 1, 1, 1)), []*tensor.Tensor{x, w},
		f32([]int{1, 1, 5, 5}, 12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84))
	opstest.Expect(t, convOp(opstest.Ints("kernel_shape", 3, 3), opstest.Ints("pads", 0, 0, 0, 0)), []*tensor.Tensor{x, w},
		f32([]int{1, 1, 3, 3}, 54, 63, 72, 99, 108, 117, 144, 153, 162))
	x7 := f32([]int{1, 1, 7, 5}, seq(35)...)
	opstest.Expect(t, convOp(opstest.Ints("pads", 1, 1, 1, 1), opstest.Ints("strides", 2, 2)), []*tensor.Tensor{x7, w},
		f32([]int{1, 1, 4, 3}, 12, 27, 24, 63, 108, 81, 123, 198, 141, 112, 177, 124))
	opstest.Expect(t, convOp(opstest.Ints("strides", 2, 2)), []*tensor.Tensor{x7, w},
		f32([]int{1, 1, 3, 2}, 54, 72, 144, 162, 234, 252))
	opstest.Expect(t, convOp(opstest.Ints("pads", 1, 0, 1, 0), opstest.Ints("strides", 2, 2)), []*tensor.Tensor{x7, w},
		f32([]int{1, 1, 4, 2}, 21, 33, 99, 117, 189, 207, 171, 183))
	opstest.Expect(t, convOp(opstest.String("auto_pad", "SAME_LOWER"), opstest.Ints("strides", 2, 2)), []*tensor.Tensor{x, w},
		f32([]int{1, 1, 3, 3}, 12, 27, 24, 63, 108, 81, 72, 117, 84))
	// Bias adds per output channel.
	opstest.Expect(t, convOp(), []*tensor.Tensor{x, w, f32([]int{1}, 0.5)},
		f32([]int{1, 1, 3, 3}, 54.5, 63.5, 72.5, 99.5, 108.5, 117.5, 144.5, 153.5, 162.5))
}

func TestConvErrors(t *testing.T) {
	x := f32([]int{1, 2, 4, 4}, seq(32)...)
	w := f32([]int{2, 2, 3, 3}, seq(36)...)
	for _, c := range []struct {
		name string
		op   opstest.Op
		in   []*tensor.Tensor
	}{
		{"channels", convOp(), []*tensor.Tensor{x, f32([]int{2, 3, 3, 3}, seq(54)...)}},
		{"group", convOp(opstest.Int("group", 3)), []*tensor.Tensor{x, w}},
		{"kernel_shape", convOp(opstest.Ints("kernel_shape", 2, 2)), []*tensor.Tensor{x, w}},
		{"pads length", convOp(opstest.Ints("pads", 1, 1)), []*tensor.Tensor{x, w}},
		{"too small", convOp(opstest.Ints("dilations", 3, 3)), []*tensor.Tensor{x, w}},
		{"bias shape", convOp(), []*tensor.Tensor{x, w, f32([]int{3}, 1, 2, 3)}},
		{"rank", convOp(), []*tensor.Tensor{f32([]int{2, 2}, 1, 2, 3, 4), f32([]int{2, 2}, 1, 2, 3, 4)}},
		{"types", convOp(), []*tensor.Tensor{x, tensor.New([]int{2, 2, 3, 3}, make([]float64, 36))}},
		{"ints", convOp(), []*tensor.Tensor{tensor.New([]int{1, 1, 1}, []int32{1}), tensor.New([]int{1, 1, 1}, []int32{1})}},
	} {
		if _, err := opstest.Run(c.op, c.in...); err == nil {
			t.Errorf("%s: expected an error", c.name)
		}
	}
	for _, attrs := range [][]*graph.Attribute{
		{opstest.String("auto_pad", "FOO")}, {opstest.Int("group", 0)}, {opstest.Ints("strides", 0, 1)}, {opstest.Ints("pads", -1, 0, 0, 0)}, {opstest.Ints("pads", 1, 1, 1)},
	} {
		if _, err := opstest.Run(convOp(attrs...), x, w); err == nil {
			t.Errorf("attributes %v: expected a build error", attrs[0].Name)
		}
	}
}

// naiveConv is the textbook N-D grouped convolution.
func naiveConv(x []float64, xs []int, w []float64, ws []int, b []float64, group int, strides, dil, padB []int, outSp []int) []float64 {
	n, c, m := xs[0], xs[1], ws[0]
	cg, mg := c/group, m/group
	rank := len(xs) - 2
	inSp, kSp := xs[2:], ws[2:]
	outSize, kSize, inSize := 1, 1, 1
	for i := 0; i < rank; i++ {
		outSize *= outSp[i]
		kSize *= kSp[i]
		inSize *= inSp[i]
	}
	y := make([]float64, n*m*outSize)
	oi := make([]int, rank)
	ki := make([]int, rank)
	for b0 := 0; b0 < n; b0++ {
		for mm := 0; mm < m; mm++ {
			gi := mm / mg
			for o := 0; o < outSize; o++ {
				r := o
				for d := rank - 1; d >= 0; d-- {
					oi[d] = r % outSp[d]
					r /= outSp[d]
				}
				s := 0.0
				if b != nil {
					s = b[mm]
				}
				for cc := 0; cc < cg; cc++ {
					for k := 0; k < kSize; k++ {
						r := k
						for d := rank - 1; d >= 0; d-- {
							ki[d] = r % kSp[d]
							r /= kSp[d]
						}
						p, ok := 0, true
						for d := 0; d < rank; d++ {
							v := oi[d]*strides[d] + ki[d]*dil[d] - padB[d]
							if v < 0 || v >= inSp[d] {
								ok = false
								break
							}
							p = p*inSp[d] + v
						}
						if ok {
							s += x[(b0*c+gi*cg+cc)*inSize+p] * w[(mm*cg+cc)*kSize+k]
						}
					}
				}
				y[(b0*m+mm)*outSize+o] = s
			}
		}
	}
	return y
}

func randVals(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(rng.Intn(9)-4) / 2
	}
	return v
}

func ints64(v []int) []int64 {
	o := make([]int64, len(v))
	for i, x := range v {
		o[i] = int64(x)
	}
	return o
}

func TestConvRandomAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	type cfg struct {
		rank, n, cg, mg, group int
		pointwise, depthwise   bool
		big                    bool
	}
	var cfgs []cfg
	for i := 0; i < 60; i++ {
		c := cfg{rank: 1 + rng.Intn(3), n: 1 + rng.Intn(2), cg: 1 + rng.Intn(3), mg: 1 + rng.Intn(3), group: 1 + rng.Intn(2)}
		switch i % 5 {
		case 1:
			c.pointwise = true
		case 2:
			c.depthwise = true
			c.cg = 1
			c.group = 2 + rng.Intn(3)
		}
		cfgs = append(cfgs, c)
	}
	// Larger ones that exceed the im2col chunk and run in parallel.
	cfgs = append(cfgs, cfg{rank: 2, n: 2, cg: 8, mg: 12, group: 1, big: true}, cfg{rank: 2, n: 1, cg: 1, mg: 1, group: 24, depthwise: true, big: true},
		cfg{rank: 2, n: 1, cg: 40, mg: 30, group: 1, pointwise: true, big: true})
	// Small im2col chunks make every case run in several column chunks (and
	// in parallel over them).
	defer func(b int) { colBudget = b }(colBudget)
	for ci, c := range cfgs {
		colBudget = 1 << 18
		if ci%2 == 1 {
			colBudget = 64
		}
		rank := c.rank
		if c.depthwise && rank == 3 {
			rank = 2
		}
		if c.depthwise && rank == 1 && ci%2 == 0 {
			rank = 2
		}
		in := make([]int, rank)
		k := make([]int, rank)
		st := make([]int, rank)
		dl := make([]int, rank)
		pb := make([]int, rank)
		pe := make([]int, rank)
		out := make([]int, rank)
		for d := 0; d < rank; d++ {
			in[d] = 3 + rng.Intn(6)
			if c.big {
				in[d] = 20
			}
			k[d], st[d], dl[d] = 1+rng.Intn(3), 1+rng.Intn(2), 1+rng.Intn(2)
			pb[d], pe[d] = rng.Intn(2), rng.Intn(3)
			if c.pointwise {
				k[d], st[d], pb[d], pe[d] = 1, 1, 0, 0
			}
			eff := (k[d]-1)*dl[d] + 1
			for in[d]+pb[d]+pe[d] < eff {
				in[d]++
			}
			out[d] = (in[d]+pb[d]+pe[d]-eff)/st[d] + 1
		}
		C, M := c.cg*c.group, c.mg*c.group
		xs := append([]int{c.n, C}, in...)
		ws := append([]int{M, c.cg}, k...)
		x := randVals(rng, ops.Product(xs))
		w := randVals(rng, ops.Product(ws))
		var b []float64
		if rng.Intn(2) == 0 {
			b = randVals(rng, M)
		}
		want := naiveConv(x, xs, w, ws, b, c.group, st, dl, pb, out)
		attrs := []*graph.Attribute{opstest.Int("group", int64(c.group)), opstest.Ints("strides", ints64(st)...),
			opstest.Ints("dilations", ints64(dl)...), opstest.Ints("pads", ints64(append(append([]int{}, pb...), pe...))...),
			opstest.Ints("kernel_shape", ints64(k)...)}
		op := convOp(attrs...)
		name := fmt.Sprintf("case %d %+v in=%v k=%v s=%v d=%v pads=%v,%v", ci, c, in, k, st, dl, pb, pe)
		ys := append([]int{c.n, M}, out...)
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			xt, _ := tensor.Convert(tensor.New(xs, x), dt)
			wt, _ := tensor.Convert(tensor.New(ws, w), dt)
			wantT, _ := tensor.Convert(tensor.New(ys, want), dt)
			inputs := []*tensor.Tensor{xt, wt}
			if b != nil {
				bt, _ := tensor.Convert(tensor.New([]int{M}, b), dt)
				inputs = append(inputs, bt)
			}
			for _, consts := range [][]int{nil, {1}} {
				got, err := runConst(t, op, consts, inputs...)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if err := opstest.Close(got[0], wantT, 1e-5, 1e-5); err != nil {
					t.Fatalf("%s %v consts=%v: %v", name, dt, consts, err)
				}
			}
		}
	}
}

func TestConvFloat16(t *testing.T) {
	x, _ := tensor.Convert(f32([]int{1, 1, 5, 5}, seq(25)...), tensor.Float16)
	w, _ := tensor.Convert(f32([]int{1, 1, 3, 3}, ones(9)...), tensor.Float16)
	want, _ := tensor.Convert(f32([]int{1, 1, 3, 3}, 54, 63, 72, 99, 108, 117, 144, 153, 162), tensor.Float16)
	opstest.Expect(t, convOp(), []*tensor.Tensor{x, w}, want)
	got, err := runConst(t, convOp(), []int{1}, x, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := opstest.Close(got[0], want, 0, 0); err != nil {
		t.Error(err)
	}
}

func TestConvAutoPad(t *testing.T) {
	x := f32([]int{1, 1, 4}, 0, 1, 2, 3)
	w := f32([]int{1, 1, 2}, 1, 1)
	// total padding 1: SAME_UPPER puts it at the end, SAME_LOWER at the start.
	opstest.Expect(t, convOp(opstest.String("auto_pad", "SAME_UPPER")), []*tensor.Tensor{x, w}, f32([]int{1, 1, 4}, 1, 3, 5, 3))
	opstest.Expect(t, convOp(opstest.String("auto_pad", "SAME_LOWER")), []*tensor.Tensor{x, w}, f32([]int{1, 1, 4}, 0, 1, 3, 5))
	opstest.Expect(t, convOp(opstest.String("auto_pad", "VALID"), opstest.Ints("pads", 3, 3)), []*tensor.Tensor{x, w}, f32([]int{1, 1, 3}, 1, 3, 5))
	// Conv-1 uses the same rules.
	opstest.Expect(t, opstest.Op{Type: "Conv", Opset: 1, Attrs: []*graph.Attribute{opstest.String("auto_pad", "SAME_UPPER")}}, []*tensor.Tensor{x, w}, f32([]int{1, 1, 4}, 1, 3, 5, 3))
	// Stride 2, SAME_UPPER: output ceil(4/2) = 2, total padding 0.
	opstest.Expect(t, convOp(opstest.String("auto_pad", "SAME_UPPER"), opstest.Ints("strides", 2)), []*tensor.Tensor{x, w}, f32([]int{1, 1, 2}, 1, 5))
}

func TestConvEmptyBatch(t *testing.T) {
	x := f32([]int{0, 1, 4})
	w := f32([]int{2, 1, 2}, 1, 1, 1, 1)
	opstest.Expect(t, convOp(), []*tensor.Tensor{x, w}, f32([]int{0, 2, 3}))
}
