package matmul

import (
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func TestMatMulShapes(t *testing.T) {
	op := opstest.Op{Type: "MatMul", Opset: 13}
	a := f32([]int{2, 2}, 1, 2, 3, 4)
	b := f32([]int{2, 2}, 5, 6, 7, 8)
	opstest.Expect(t, op, []*tensor.Tensor{a, b}, f32([]int{2, 2}, 19, 22, 43, 50))
	// 1-D promotion on either side, and both.
	opstest.Expect(t, op, []*tensor.Tensor{f32([]int{2}, 1, 2), b}, f32([]int{2}, 19, 22))
	opstest.Expect(t, op, []*tensor.Tensor{a, f32([]int{2}, 5, 6)}, f32([]int{2}, 17, 39))
	opstest.Expect(t, op, []*tensor.Tensor{f32([]int{3}, 1, 2, 3), f32([]int{3}, 4, 5, 6)}, tensor.New([]int{}, []float32{32}))
	// 1-D times batched: [3] x [2,3,1] -> [2,1]
	opstest.Expect(t, op, []*tensor.Tensor{f32([]int{3}, 1, 2, 3), f32([]int{2, 3, 1}, 1, 1, 1, 0, 1, 0)}, f32([]int{2, 1}, 6, 2))
	// K = 0 gives zeros.
	opstest.Expect(t, op, []*tensor.Tensor{f32([]int{2, 0}), f32([]int{0, 3})}, f32([]int{2, 3}, 0, 0, 0, 0, 0, 0))
}

func TestMatMulBroadcastBatch(t *testing.T) {
	// A[i] = (i+1)·I (shape [2,1,2,2]), B[j] = distinct matrices ([3,2,2]):
	// out[i][j] = (i+1)·B[j], shape [2,3,2,2].
	a := f32([]int{2, 1, 2, 2}, 1, 0, 0, 1, 2, 0, 0, 2)
	bv := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	b := f32([]int{3, 2, 2}, bv...)
	want := make([]float32, 0, 24)
	for i := 1; i <= 2; i++ {
		for _, v := range bv {
			want = append(want, float32(i)*v)
		}
	}
	op := opstest.Op{Type: "MatMul", Opset: 13}
	opstest.Expect(t, op, []*tensor.Tensor{a, b}, f32([]int{2, 3, 2, 2}, want...))
	// Const 2-D B with batched A folds the batch.
	b2 := f32([]int{2, 2}, 1, 2, 3, 4)
	got := runConst(t, op, []int{1}, a, b2)
	expectClose(t, "folded", got[0], f32([]int{2, 1, 2, 2}, 1, 2, 3, 4, 2, 4, 6, 8), 0, 0)
	expectErr(t, "batch mismatch", op, f32([]int{2, 2, 2}, 1, 2, 3, 4, 5, 6, 7, 8), f32([]int{3, 2, 2}, bv...))
	expectErr(t, "inner mismatch", op, f32([]int{2, 3}, 1, 2, 3, 4, 5, 6), f32([]int{2, 2}, 1, 2, 3, 4))
	expectErr(t, "scalar", op, tensor.New([]int{}, []float32{1}), f32([]int{1}, 1))
}

func TestMatMulTypes(t *testing.T) {
	op := opstest.Op{Type: "MatMul", Opset: 13}
	opstest.Expect(t, op, []*tensor.Tensor{tensor.New([]int{2, 2}, []int64{1, 2, 3, 4}), tensor.New([]int{2, 2}, []int64{5, 6, 7, 8})},
		tensor.New([]int{2, 2}, []int64{19, 22, 43, 50}))
	opstest.Expect(t, op, []*tensor.Tensor{tensor.New([]int{2, 2}, []uint64{1, 2, 3, 4}), tensor.New([]int{2, 2}, []uint64{5, 6, 7, 8})},
		tensor.New([]int{2, 2}, []uint64{19, 22, 43, 50}))
	opstest.Expect(t, op, []*tensor.Tensor{tensor.New([]int{2, 2}, []float64{1, 2, 3, 4}), tensor.New([]int{2, 2}, []float64{5, 6, 7, 8})},
		tensor.New([]int{2, 2}, []float64{19, 22, 43, 50}))
	got := opstest.MustRun(t, op, toF16(f32([]int{2, 2}, 1, 2, 3, 4)), toF16(f32([]int{2, 2}, 5, 6, 7, 8)))
	expectClose(t, "float16", got[0], toF16(f32([]int{2, 2}, 19, 22, 43, 50)), 0, 0)
	bf, _ := tensor.Convert(f32([]int{2, 2}, 1, 2, 3, 4), tensor.BFloat16)
	got = opstest.MustRun(t, op, bf, bf)
	wantBF, _ := tensor.Convert(f32([]int{2, 2}, 7, 10, 15, 22), tensor.BFloat16)
	expectClose(t, "bfloat16", got[0], wantBF, 0, 0)
	expectErr(t, "int8 not allowed", op, tensor.New([]int{1, 1}, []int8{1}), tensor.New([]int{1, 1}, []int8{1}))
}

func TestMatMulRandomBatches(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	for it := 0; it < 20; it++ {
		m, k, n := 1+rng.Intn(20), 1+rng.Intn(20), 1+rng.Intn(20)
		batch := 1 + rng.Intn(40)
		a := make([]float32, batch*m*k)
		b := make([]float32, k*n)
		for i := range a {
			a[i] = float32(rng.Intn(7) - 3)
		}
		for i := range b {
			b[i] = float32(rng.Intn(7) - 3)
		}
		// B broadcast over the batch as [1,k,n].
		want := make([]float32, batch*m*n)
		for q := 0; q < batch; q++ {
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					var s float32
					for p := 0; p < k; p++ {
						s += a[(q*m+i)*k+p] * b[p*n+j]
					}
					want[(q*m+i)*n+j] = s
				}
			}
		}
		op := opstest.Op{Type: "MatMul", Opset: 13}
		opstest.Expect(t, op, []*tensor.Tensor{f32([]int{batch, m, k}, a...), f32([]int{1, k, n}, b...)}, f32([]int{batch, m, n}, want...))
	}
}

func TestDet(t *testing.T) {
	op := opstest.Op{Type: "Det", Opset: 11}
	opstest.Expect(t, op, []*tensor.Tensor{f32([]int{2, 2}, 1, 2, 3, 4)}, tensor.New([]int{}, []float32{-2}))
	// [[6 1 1] [4 -2 5] [2 8 7]] has determinant -306; a singular batch has 0.
	x := f32([]int{2, 3, 3}, 6, 1, 1, 4, -2, 5, 2, 8, 7, 1, 2, 3, 2, 4, 6, 0, 1, 5)
	opstest.Expect(t, op, []*tensor.Tensor{x}, f32([]int{2}, -306, 0))
	x64 := tensor.New([]int{1, 2, 2}, []float64{0, 1, 1, 0}) // needs a row swap
	opstest.Expect(t, op, []*tensor.Tensor{x64}, tensor.New([]int{1}, []float64{-1}))
	expectErr(t, "not square", op, f32([]int{2, 3}, 1, 2, 3, 4, 5, 6))
	expectErr(t, "int", op, tensor.New([]int{1, 1}, []int32{1}))
}

func TestMatMulInteger(t *testing.T) {
	op := opstest.Op{Type: "MatMulInteger", Opset: 10}
	// The ONNX spec example.
	a := tensor.New([]int{4, 3}, []uint8{11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0})
	b := tensor.New([]int{3, 2}, []uint8{1, 4, 2, 5, 3, 6})
	want := tensor.New([]int{4, 2}, []int32{-38, -83, -44, -98, -50, -113, -56, -128})
	opstest.Expect(t, op, []*tensor.Tensor{a, b, tensor.New([]int{}, []uint8{12}), tensor.New([]int{}, []uint8{0})}, want)
	// Per-row A zero points [4] equal to 12 give the same; no zero points.
	opstest.Expect(t, op, []*tensor.Tensor{a, b, tensor.New([]int{4}, []uint8{12, 12, 12, 12})}, want)
	opstest.Expect(t, op, []*tensor.Tensor{tensor.New([]int{1, 2}, []int8{-1, 2}), tensor.New([]int{2, 1}, []uint8{200, 100})},
		tensor.New([]int{1, 1}, []int32{0}))
	// Per-column B zero point and a batch with [..., 1, N] zero points.
	a3 := tensor.New([]int{2, 1, 2}, []int8{1, 2, 3, 4})
	b3 := tensor.New([]int{2, 2}, []int8{1, 1, 1, 1})
	zb := tensor.New([]int{2, 1, 2}, []int8{0, 1, 1, 0})
	opstest.Expect(t, op, []*tensor.Tensor{a3, b3, nil, zb}, tensor.New([]int{2, 1, 2}, []int32{3, 0, 0, 7}))
	expectErr(t, "bad zero point", op, a, b, tensor.New([]int{2}, []uint8{1, 2}))
	expectErr(t, "float", op, f32([]int{1, 1}, 1), f32([]int{1, 1}, 1))
}

func TestQLinearMatMul(t *testing.T) {
	// The ONNX spec example (uint8 and int8 variants, 2-D and 3-D).
	for _, opset := range []int{10, 21} {
		op := opstest.Op{Type: "QLinearMatMul", Opset: opset}
		av := []int{208, 236, 0, 238, 3, 214, 255, 29}
		bv := []int{152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247}
		u8 := func(shape []int, v []int) *tensor.Tensor {
			o := make([]uint8, len(v))
			for i, x := range v {
				o[i] = uint8(x)
			}
			return tensor.New(shape, o)
		}
		i8 := func(shape []int, v []int) *tensor.Tensor {
			o := make([]int8, len(v))
			for i, x := range v {
				o[i] = int8(x - 127)
			}
			return tensor.New(shape, o)
		}
		sc := func(v float32) *tensor.Tensor { return tensor.New([]int{1}, []float32{v}) }
		opstest.Expect(t, op, []*tensor.Tensor{
			u8([]int{2, 4}, av), sc(0.0066), u8([]int{1}, []int{113}),
			u8([]int{4, 3}, bv), sc(0.00705), u8([]int{1}, []int{114}),
			sc(0.0107), u8([]int{1}, []int{118}),
		}, tensor.New([]int{2, 3}, []uint8{168, 115, 255, 1, 66, 151}))
		opstest.Expect(t, op, []*tensor.Tensor{
			i8([]int{2, 4}, av), sc(0.0066), i8([]int{1}, []int{113}),
			i8([]int{4, 3}, bv), sc(0.00705), i8([]int{1}, []int{114}),
			sc(0.0107), i8([]int{1}, []int{118}),
		}, tensor.New([]int{2, 3}, []int8{41, -12, -9, 1, -75, -128}))
		opstest.Expect(t, op, []*tensor.Tensor{
			u8([]int{2, 2, 4}, append(append([]int{}, av...), av...)), sc(0.0066), u8([]int{1}, []int{113}),
			u8([]int{4, 3}, bv), sc(0.00705), u8([]int{1}, []int{114}),
			sc(0.0107), u8([]int{1}, []int{118}),
		}, tensor.New([]int{2, 2, 3}, []uint8{168, 115, 255, 1, 66, 151, 168, 115, 255, 1, 66, 151}))
	}
}

func TestQLinearMatMulPerRowColumn(t *testing.T) {
	// acc = a·I = a; y[i][j] = a[i][j]·a_scale[i]·b_scale[j] (y scale 1, zero 0):
	// [[1·1·1, 2·1·2], [3·0.5·1, 4·0.5·2]] = [[1, 4], [1.5→2, 4]].
	op := opstest.Op{Type: "QLinearMatMul", Opset: 21}
	opstest.Expect(t, op, []*tensor.Tensor{
		tensor.New([]int{2, 2}, []uint8{1, 2, 3, 4}), f32([]int{2}, 1, 0.5), tensor.New([]int{2}, []uint8{0, 0}),
		tensor.New([]int{2, 2}, []uint8{1, 0, 0, 1}), f32([]int{2}, 1, 2), tensor.New([]int{2}, []uint8{0, 0}),
		tensor.Scalar(float32(1)), tensor.Scalar(uint8(0)),
	}, tensor.New([]int{2, 2}, []uint8{1, 4, 2, 4}))
	expectErr(t, "bad scale shape", op,
		tensor.New([]int{2, 2}, []uint8{1, 2, 3, 4}), f32([]int{3}, 1, 1, 1), tensor.New([]int{3}, []uint8{0, 0, 0}),
		tensor.New([]int{2, 2}, []uint8{1, 0, 0, 1}), f32([]int{2}, 1, 2), tensor.New([]int{2}, []uint8{0, 0}),
		tensor.Scalar(float32(1)), tensor.Scalar(uint8(0)))
}
