package conv

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

func ctOp(attrs ...*graph.Attribute) opstest.Op {
	return opstest.Op{Type: "ConvTranspose", Opset: 11, Attrs: attrs}
}

func TestConvTransposeSpec(t *testing.T) {
	x := f32([]int{1, 1, 3, 3}, seq(9)...)
	w := f32([]int{1, 2, 3, 3}, ones(18)...)
	ch := []float32{0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8}
	opstest.Expect(t, ctOp(), []*tensor.Tensor{x, w}, f32([]int{1, 2, 5, 5}, append(append([]float32{}, ch...), ch...)...))
	// With a bias per output channel.
	want := make([]float32, 0, 50)
	for i, v := range append(append([]float32{}, ch...), ch...) {
		want = append(want, v+float32(1+i/25))
	}
	opstest.Expect(t, ctOp(), []*tensor.Tensor{x, w, f32([]int{2}, 1, 2)}, f32([]int{1, 2, 5, 5}, want...))

	// output_shape [10, 8] with strides [3, 2]: the full 9×7 result placed
	// at the origin and padded with zeros at the end (ONNX test data).
	row := func(v ...float32) []float32 { return v }
	var full []float32
	for _, r := range [][]float32{
		row(0, 0, 1, 1, 3, 2, 2, 0), row(0, 0, 1, 1, 3, 2, 2, 0), row(0, 0, 1, 1, 3, 2, 2, 0),
		row(3, 3, 7, 4, 9, 5, 5, 0), row(3, 3, 7, 4, 9, 5, 5, 0), row(3, 3, 7, 4, 9, 5, 5, 0),
		row(6, 6, 13, 7, 15, 8, 8, 0), row(6, 6, 13, 7, 15, 8, 8, 0), row(6, 6, 13, 7, 15, 8, 8, 0),
		row(0, 0, 0, 0, 0, 0, 0, 0),
	} {
		full = append(full, r...)
	}
	want2 := f32([]int{1, 2, 10, 8}, append(append([]float32{}, full...), full...)...)
	opstest.Expect(t, ctOp(opstest.Ints("strides", 3, 2), opstest.Ints("output_shape", 10, 8)), []*tensor.Tensor{x, w}, want2)
	opstest.Expect(t, ctOp(opstest.Ints("strides", 3, 2), opstest.Ints("output_shape", 10, 8), opstest.Ints("output_padding", 1, 1), opstest.Ints("kernel_shape", 3, 3)), []*tensor.Tensor{x, w}, want2)
	opstest.Expect(t, ctOp(opstest.Ints("strides", 3, 2), opstest.Ints("output_padding", 1, 1)), []*tensor.Tensor{x, w}, want2)
	// SAME_UPPER with stride 2: output 6×6, the extra padding at the end.
	var same []float32
	for _, r := range [][]float32{row(0, 0, 1, 1, 3, 2), row(0, 0, 1, 1, 3, 2), row(3, 3, 8, 5, 12, 7), row(3, 3, 7, 4, 9, 5), row(9, 9, 20, 11, 24, 13), row(6, 6, 13, 7, 15, 8)} {
		same = append(same, r...)
	}
	opstest.Expect(t, ctOp(opstest.String("auto_pad", "SAME_UPPER"), opstest.Ints("strides", 2, 2)), []*tensor.Tensor{x, w},
		f32([]int{1, 2, 6, 6}, append(append([]float32{}, same...), same...)...))
	// pads [1,2,1,2], strides [3,2]: 7×3.
	var padded []float32
	for _, r := range [][]float32{row(1, 1, 3), row(1, 1, 3), row(7, 4, 9), row(7, 4, 9), row(7, 4, 9), row(13, 7, 15), row(13, 7, 15)} {
		padded = append(padded, r...)
	}
	opstest.Expect(t, ctOp(opstest.Ints("strides", 3, 2), opstest.Ints("pads", 1, 2, 1, 2)), []*tensor.Tensor{x, w},
		f32([]int{1, 2, 7, 3}, append(append([]float32{}, padded...), padded...)...))
}

// naiveConvTranspose scatters every input element through the kernel.
func naiveConvTranspose(x []float64, xs []int, w []float64, ws []int, b []float64, group int, st, dl, padB, outSp []int) []float64 {
	n, c := xs[0], xs[1]
	cg, mg := c/group, ws[1]
	m := mg * group
	rank := len(xs) - 2
	inSp, kSp := xs[2:], ws[2:]
	inSize, kSize, outSize := ops.Product(inSp), ops.Product(kSp), ops.Product(outSp)
	y := make([]float64, n*m*outSize)
	ii, ki := make([]int, rank), make([]int, rank)
	for b0 := 0; b0 < n; b0++ {
		for ci := 0; ci < c; ci++ {
			gi := ci / cg
			for p := 0; p < inSize; p++ {
				r := p
				for d := rank - 1; d >= 0; d-- {
					ii[d] = r % inSp[d]
					r /= inSp[d]
				}
				for mm := 0; mm < mg; mm++ {
					for k := 0; k < kSize; k++ {
						r := k
						for d := rank - 1; d >= 0; d-- {
							ki[d] = r % kSp[d]
							r /= kSp[d]
						}
						q, ok := 0, true
						for d := 0; d < rank; d++ {
							v := ii[d]*st[d] + ki[d]*dl[d] - padB[d]
							if v < 0 || v >= outSp[d] {
								ok = false
								break
							}
							q = q*outSp[d] + v
						}
						if ok {
							y[(b0*m+gi*mg+mm)*outSize+q] += x[(b0*c+ci)*inSize+p] * w[(ci*mg+mm)*kSize+k]
						}
					}
				}
			}
		}
		if b != nil {
			for mm := 0; mm < m; mm++ {
				for q := 0; q < outSize; q++ {
					y[(b0*m+mm)*outSize+q] += b[mm]
				}
			}
		}
	}
	return y
}

func TestConvTransposeRandomAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(21))
	defer func(b int) { colBudget = b }(colBudget)
	for ci := 0; ci < 40; ci++ {
		colBudget = 1 << 18
		if ci%2 == 1 {
			colBudget = 64
		}
		rank := 1 + rng.Intn(3)
		group := 1 + rng.Intn(2)
		cg, mg, n := 1+rng.Intn(3), 1+rng.Intn(3), 1+rng.Intn(2)
		big := ci == 39
		if big {
			rank, group, cg, mg, n = 2, 1, 8, 4, 2
		}
		in, k, st, dl, pb, pe, op, out := make([]int, rank), make([]int, rank), make([]int, rank), make([]int, rank), make([]int, rank), make([]int, rank), make([]int, rank), make([]int, rank)
		for d := 0; d < rank; d++ {
			in[d] = 2 + rng.Intn(4)
			if big {
				in[d] = 16
			}
			k[d], st[d], dl[d] = 1+rng.Intn(3), 1+rng.Intn(3), 1+rng.Intn(2)
			op[d] = rng.Intn(st[d])
			pb[d], pe[d] = rng.Intn(2), rng.Intn(2)
			out[d] = st[d]*(in[d]-1) + op[d] + (k[d]-1)*dl[d] + 1 - pb[d] - pe[d]
		}
		C, M := cg*group, mg*group
		xs := append([]int{n, C}, in...)
		ws := append([]int{C, mg}, k...)
		x := randVals(rng, ops.Product(xs))
		w := randVals(rng, ops.Product(ws))
		var b []float64
		if rng.Intn(2) == 0 {
			b = randVals(rng, M)
		}
		want := naiveConvTranspose(x, xs, w, ws, b, group, st, dl, pb, out)
		attrs := []*graph.Attribute{opstest.Int("group", int64(group)), opstest.Ints("strides", ints64(st)...),
			opstest.Ints("dilations", ints64(dl)...), opstest.Ints("pads", ints64(append(append([]int{}, pb...), pe...))...),
			opstest.Ints("output_padding", ints64(op)...)}
		name := fmt.Sprintf("case %d in=%v k=%v s=%v d=%v pads=%v,%v outpad=%v group=%d", ci, in, k, st, dl, pb, pe, op, group)
		for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
			xt, _ := tensor.Convert(tensor.New(xs, x), dt)
			wt, _ := tensor.Convert(tensor.New(ws, w), dt)
			wantT, _ := tensor.Convert(tensor.New(append([]int{n, M}, out...), want), dt)
			inputs := []*tensor.Tensor{xt, wt}
			if b != nil {
				bt, _ := tensor.Convert(tensor.New([]int{M}, b), dt)
				inputs = append(inputs, bt)
			}
			for _, consts := range [][]int{nil, {1}} {
				got, err := runConst(t, ctOp(attrs...), consts, inputs...)
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

func TestConvTransposeErrors(t *testing.T) {
	x := f32([]int{1, 2, 3, 3}, seq(18)...)
	if _, err := opstest.Run(ctOp(), x, f32([]int{3, 1, 2, 2}, seq(12)...)); err == nil {
		t.Error("channel mismatch: expected an error")
	}
	if _, err := opstest.Run(ctOp(opstest.Ints("pads", 5, 5, 5, 5)), x, f32([]int{2, 1, 2, 2}, seq(8)...)); err == nil {
		t.Error("pads larger than output: expected an error")
	}
	if _, err := opstest.Run(ctOp(opstest.Ints("output_shape", 3)), x, f32([]int{2, 1, 2, 2}, seq(8)...)); err == nil {
		t.Error("output_shape rank: expected an error")
	}
}

func TestConvInteger(t *testing.T) {
	op := opstest.Op{Type: "ConvInteger", Opset: 10}
	x := tensor.New([]int{1, 1, 3, 3}, []uint8{2, 3, 4, 5, 6, 7, 8, 9, 10})
	w := tensor.New([]int{1, 1, 2, 2}, []uint8{1, 1, 1, 1})
	xz := tensor.Scalar(uint8(1))
	opstest.Expect(t, op, []*tensor.Tensor{x, w, xz}, tensor.New([]int{1, 1, 2, 2}, []int32{12, 16, 24, 28}))
	opPad := opstest.Op{Type: "ConvInteger", Opset: 10, Attrs: []*graph.Attribute{opstest.Ints("pads", 1, 1, 1, 1)}}
	opstest.Expect(t, opPad, []*tensor.Tensor{x, w, xz},
		tensor.New([]int{1, 1, 4, 4}, []int32{1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9}))
	// int8 weights with per-channel zero points: channel 1 subtracts 1.
	w2 := tensor.New([]int{2, 1, 1, 1}, []int8{2, 3})
	// y[m] = x·(w[m] - zp[m]): channel 0 weight 2, channel 1 weight 3-1 = 2.
	opstest.Expect(t, op, []*tensor.Tensor{tensor.New([]int{1, 1, 1, 2}, []int8{-1, 4}), w2, nil, tensor.New([]int{2}, []int8{0, 1})},
		tensor.New([]int{1, 2, 1, 2}, []int32{-2, 8, -2, 8}))
	if _, err := opstest.Run(op, x, w, tensor.New([]int{2}, []uint8{1, 1})); err == nil {
		t.Error("vector x_zero_point: expected an error")
	}
	if _, err := opstest.Run(op, x, w, tensor.Scalar(int8(1))); err == nil {
		t.Error("x_zero_point type: expected an error")
	}
}

func TestQLinearConvSpec(t *testing.T) {
	x := tensor.New([]int{1, 1, 7, 7}, []uint8{
		255, 174, 162, 25, 203, 168, 58,
		15, 59, 237, 95, 129, 0, 64,
		56, 242, 153, 221, 168, 12, 166,
		232, 178, 186, 195, 237, 162, 237,
		188, 39, 124, 77, 80, 102, 43,
		127, 230, 21, 83, 41, 40, 134,
		255, 154, 92, 141, 42, 148, 247})
	want := tensor.New([]int{1, 1, 7, 7}, []uint8{
		0, 81, 93, 230, 52, 87, 197,
		240, 196, 18, 160, 126, 255, 191,
		199, 13, 102, 34, 87, 243, 89,
		23, 77, 69, 60, 18, 93, 18,
		67, 216, 131, 178, 175, 153, 212,
		128, 25, 234, 172, 214, 215, 121,
		0, 101, 163, 114, 213, 107, 8})
	op := opstest.Op{Type: "QLinearConv", Opset: 10}
	opstest.Expect(t, op, []*tensor.Tensor{
		x, tensor.Scalar(float32(0.00369204697)), tensor.Scalar(uint8(132)),
		tensor.New([]int{1, 1, 1, 1}, []uint8{0}), tensor.New([]int{1}, []float32{0.00172794575}), tensor.New([]int{1}, []uint8{255}),
		tensor.Scalar(float32(0.00162681262)), tensor.Scalar(uint8(123)),
	}, want)
}

func TestQLinearConvBiasPerChannel(t *testing.T) {
	// x = [1 2] (int8, zero point 0, scale 1); two 1×1 filters with scales
	// 0.5 and 0.25, y scale 1, y zero point 10, bias [2, -4]:
	// channel 0: (x·4 + 2)·0.5 + 10 = [13, 15]; channel 1: (x·8 - 4)·0.25 + 10 = [11, 13].
	op := opstest.Op{Type: "QLinearConv", Opset: 10}
	opstest.Expect(t, op, []*tensor.Tensor{
		tensor.New([]int{1, 1, 1, 2}, []int8{1, 2}), tensor.Scalar(float32(1)), tensor.Scalar(int8(0)),
		tensor.New([]int{2, 1, 1, 1}, []int8{4, 8}), tensor.New([]int{2}, []float32{0.5, 0.25}), tensor.New([]int{2}, []int8{0, 0}),
		tensor.Scalar(float32(1)), tensor.Scalar(int8(10)), tensor.New([]int{2}, []int32{2, -4}),
	}, tensor.New([]int{1, 2, 1, 2}, []int8{13, 15, 11, 13}))
}

func TestConvIntegerRandomAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(33))
	defer func(b int) { colBudget = b }(colBudget)
	for ci := 0; ci < 12; ci++ {
		colBudget = 1 << 18
		if ci%2 == 1 {
			colBudget = 32
		}
		group := 1 + rng.Intn(2)
		cg, mg := 1+rng.Intn(3), 1+rng.Intn(3)
		C, M := cg*group, mg*group
		in := []int{3 + rng.Intn(5), 3 + rng.Intn(5)}
		k := []int{1 + rng.Intn(3), 1 + rng.Intn(3)}
		st := []int{1 + rng.Intn(2), 1 + rng.Intn(2)}
		pads := []int{rng.Intn(2), rng.Intn(2), rng.Intn(2), rng.Intn(2)}
		out := []int{(in[0]+pads[0]+pads[2]-k[0])/st[0] + 1, (in[1]+pads[1]+pads[3]-k[1])/st[1] + 1}
		xs, ws := []int{1, C, in[0], in[1]}, []int{M, cg, k[0], k[1]}
		xv := make([]uint8, ops.Product(xs))
		wv := make([]int8, ops.Product(ws))
		xf := make([]float64, len(xv))
		wf := make([]float64, len(wv))
		xz := uint8(rng.Intn(256))
		wz := make([]int8, M)
		for i := range wz {
			wz[i] = int8(rng.Intn(256) - 128)
		}
		for i := range xv {
			xv[i] = uint8(rng.Intn(256))
			xf[i] = float64(xv[i]) - float64(xz)
		}
		for i := range wv {
			wv[i] = int8(rng.Intn(256) - 128)
			wf[i] = float64(wv[i]) - float64(wz[i/(cg*k[0]*k[1])])
		}
		// Zero-point-corrected inputs padded with zeros equal the quantised
		// inputs padded with the zero point.
		want := naiveConv(xf, xs, wf, ws, nil, group, st, []int{1, 1}, pads[:2], out)
		wi := make([]int32, len(want))
		for i, v := range want {
			wi[i] = int32(v)
		}
		op := opstest.Op{Type: "ConvInteger", Opset: 10, Attrs: []*graph.Attribute{opstest.Int("group", int64(group)),
			opstest.Ints("strides", ints64(st)...), opstest.Ints("pads", ints64(pads)...)}}
		opstest.Expect(t, op, []*tensor.Tensor{tensor.New(xs, xv), tensor.New(ws, wv), tensor.Scalar(xz), tensor.New([]int{M}, wz)},
			tensor.New([]int{1, M, out[0], out[1]}, wi))
	}
}
