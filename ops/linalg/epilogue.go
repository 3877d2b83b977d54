package linalg

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/ops/vector"
)

// Activation is an elementwise function an Epilogue applies to the product.
type Activation int

// Activations. Parameters come from Epilogue.Alpha and Epilogue.Beta.
const (
	ActNone        Activation = iota
	ActRelu                   // max(x, 0)
	ActClip                   // min(max(x, Alpha), Beta): ONNX Clip with min = Alpha, max = Beta
	ActLeakyRelu              // x if x ≥ 0, else Alpha·x
	ActSigmoid                // 1 / (1 + e^-x)
	ActSiLU                   // x·sigmoid(x) (Swish)
	ActHardSigmoid            // max(0, min(1, Alpha·x + Beta)) (ONNX defaults 0.2, 0.5)
	ActHardSwish              // x·max(0, min(1, x/6 + 1/2))
	ActTanh                   // tanh(x)
	ActGelu                   // x·(1 + erf(x/√2))/2
)

// Epilogue is work fused into a float32 GEMM (SgemmN, SgemmPacked,
// SgemmPackedA): it runs on each output tile right after the tile's last
// depth slice, while the tile is still in L1, instead of as extra passes over
// C. With it the product computes, for every i < m, j < n:
//
//	x      = alpha·op(A)·op(B)[i,j] + beta·C[i,j] + bias + residual
//	C[i,j] = act(x)
//
// where bias is Bias[j] (or Bias[i] when BiasPerRow: convolution, whose rows
// are output channels), residual is Residual[i*ldr+j] (ldr = LdResidual, or n
// when 0), and each term is 0 when its slice is nil. With ResidualAfterAct
// the residual is added after the activation instead: C = act(x) + residual.
//
// Typical fusions: Gemm/MatMul+Add(bias) → Bias; Conv(+bias)+Relu → Bias,
// BiasPerRow, ActRelu; ResNet's Conv+Add+Relu → Bias, BiasPerRow, Residual,
// ActRelu; Relu6 → ActClip with Alpha 0, Beta 6. Residual may be C itself
// (same elements, same leading dimension) but must not otherwise overlap C.
// The zero Epilogue does nothing. Bias and Residual are only read.
type Epilogue struct {
	Bias             []float32
	BiasPerRow       bool
	Act              Activation
	Alpha, Beta      float32
	Residual         []float32
	LdResidual       int
	ResidualAfterAct bool
}

// active reports whether the epilogue changes anything.
func (e *Epilogue) active() bool {
	return e != nil && (e.Bias != nil || e.Act != ActNone || e.Residual != nil)
}

// check panics when the epilogue does not fit an m×n output (a programming
// error in the caller, like a short operand).
func (e *Epilogue) check(m, n int) {
	if e == nil {
		return
	}
	if e.Bias != nil {
		want := n
		if e.BiasPerRow {
			want = m
		}
		if len(e.Bias) < want {
			panic(fmt.Sprintf("linalg: epilogue bias has %d values, need %d", len(e.Bias), want))
		}
	}
	if e.Residual != nil {
		checkMatrix("residual", m, n, e.ldr(n), len(e.Residual))
	}
	if e.Act < ActNone || e.Act > ActGelu {
		panic(fmt.Sprintf("linalg: unknown epilogue activation %d", e.Act))
	}
}

func (e *Epilogue) ldr(n int) int {
	if e.LdResidual > 0 {
		return e.LdResidual
	}
	return n
}

// apply runs the epilogue on C[i0:i0+rows, j0:j0+cols] of an m×n product
// with n columns (for the residual's default leading dimension).
func (e *Epilogue) apply(c []float32, ldc, n, i0, rows, j0, cols int) {
	ldr := e.ldr(n)
	for i := i0; i < i0+rows; i++ {
		row := c[i*ldc+j0 : i*ldc+j0+cols]
		if e.Bias != nil {
			if e.BiasPerRow {
				bv := e.Bias[i]
				for j := range row {
					row[j] += bv
				}
			} else {
				bias := e.Bias[j0 : j0+cols]
				for j := range row {
					row[j] += bias[j]
				}
			}
		}
		var res []float32
		if e.Residual != nil {
			res = e.Residual[i*ldr+j0 : i*ldr+j0+cols]
			if !e.ResidualAfterAct {
				for j := range row {
					row[j] += res[j]
				}
			}
		}
		activate(row, e.Act, e.Alpha, e.Beta)
		if res != nil && e.ResidualAfterAct {
			for j := range row {
				row[j] += res[j]
			}
		}
	}
}

// plan splits the epilogue into the part the kernels fuse (flags, clamp
// bounds) and the part left to Go: an activation other than Relu/Clip, and
// a residual added after the activation.
func (e *Epilogue) plan() (flags int, lo, hi float32, goAct Activation, goRes bool) {
	if e.Bias != nil {
		if e.BiasPerRow {
			flags |= epiRowBias
		} else {
			flags |= epiColBias
		}
	}
	if e.Residual != nil {
		if e.ResidualAfterAct {
			goRes = true
		} else {
			flags |= epiResidual
		}
	}
	switch e.Act {
	case ActNone:
	case ActRelu:
		flags |= epiClamp
		lo, hi = 0, float32(math.Inf(1))
	case ActClip:
		flags |= epiClamp
		lo, hi = e.Alpha, e.Beta
	default:
		goAct = e.Act
	}
	return
}

// tileOperands points ep at the bias and residual elements of the tile
// C[row:row+rows, col:col+cols] (bounds-checked slices, then pointers).
func (e *Epilogue) tileOperands(ep *kEpi, row, rows, col, cols int) {
	if ep.flags&epiColBias != 0 {
		ep.colS = e.Bias[col : col+cols]
		ep.colBias = &ep.colS[0]
	}
	if ep.flags&epiRowBias != 0 {
		ep.rowS = e.Bias[row : row+rows]
		ep.rowBias = &ep.rowS[0]
	}
	if ep.flags&epiResidual != 0 {
		ep.resS = e.Residual[row*ep.ldr+col : (row+rows-1)*ep.ldr+col+cols]
		ep.res = &ep.resS[0]
	}
}

// applyRest runs the Go-side part of the epilogue (see plan) on a tile.
func (e *Epilogue) applyRest(c []float32, ldc, ldr, i0, rows, j0, cols int, act Activation, res bool) {
	for i := i0; i < i0+rows; i++ {
		row := c[i*ldc+j0 : i*ldc+j0+cols]
		activate(row, act, e.Alpha, e.Beta)
		if res {
			for j, v := range e.Residual[i*ldr+j0 : i*ldr+j0+cols] {
				row[j] += v
			}
		}
	}
}

// activate applies act in place.
func activate(x []float32, act Activation, alpha, beta float32) {
	switch act {
	case ActRelu:
		vector.Relu(x, x)
	case ActClip:
		vector.Clip(x, x, alpha, beta)
	case ActLeakyRelu:
		for i, v := range x {
			if v < 0 {
				x[i] = alpha * v
			}
		}
	// The transcendental activations use ops/vector's SIMD kernels (a
	// scalar math.Exp loop here was 74% of efficientnet_b0's run time).
	case ActSigmoid:
		vector.Sigmoid(x, x)
	case ActSiLU:
		vector.SiLU(x, x)
	case ActHardSigmoid:
		for i, v := range x {
			x[i] = max(0, min(1, alpha*v+beta))
		}
	case ActHardSwish:
		vector.HardSwish(x, x)
	case ActTanh:
		vector.Tanh(x, x)
	case ActGelu:
		vector.Gelu(x, x)
	}
}
