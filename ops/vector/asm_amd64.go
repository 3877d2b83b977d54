//go:build amd64 && !purego

package vector

import "github.com/gonyx/gonyx/ops/cpu"

var (
	avx512Kernels = &Kernels{
		Level:       cpu.AVX512,
		Exp:         unaryAsm(expAVX512),
		Log:         unaryAsm(logAVX512),
		Tanh:        unaryAsm(tanhAVX512),
		Sigmoid:     unaryAsm(sigmoidAVX512),
		SiLU:        unaryAsm(siluAVX512),
		Erf:         unaryAsm(erfAVX512),
		Gelu:        unaryAsm(geluAVX512),
		HardSwish:   unaryAsm(hardswishAVX512),
		Relu:        unaryAsm(reluAVX512),
		Clip:        clipAsm(clipAVX512),
		Add:         binaryAsm(addAVX512),
		Sub:         binaryAsm(subAVX512),
		Mul:         binaryAsm(mulAVX512),
		Div:         binaryAsm(divAVX512),
		AddScalar:   scalarAsm(addScalarAVX512),
		SubScalar:   scalarAsm(subScalarAVX512),
		ScalarSub:   scalarAsm(scalarSubAVX512),
		MulScalar:   scalarAsm(mulScalarAVX512),
		DivScalar:   scalarAsm(divScalarAVX512),
		ScalarDiv:   scalarAsm(scalarDivAVX512),
		ScaleShift:  scaleShiftAsm(scaleShiftAVX512),
		AddScaled:   addScaledAsm(addScaledAVX512),
		Sum:         sumAsm(sumAVX512),
		Max:         maxAsm(maxAVX512),
		ExpShiftSum: expShiftSumAsm(expShiftSumAVX512),
	}
	avx2Kernels = &Kernels{
		Level:       cpu.AVX2,
		Exp:         unaryAsm(expAVX2),
		Log:         unaryAsm(logAVX2),
		Tanh:        unaryAsm(tanhAVX2),
		Sigmoid:     unaryAsm(sigmoidAVX2),
		SiLU:        unaryAsm(siluAVX2),
		Erf:         unaryAsm(erfAVX2),
		Gelu:        unaryAsm(geluAVX2),
		HardSwish:   unaryAsm(hardswishAVX2),
		Relu:        unaryAsm(reluAVX2),
		Clip:        clipAsm(clipAVX2),
		Add:         binaryAsm(addAVX2),
		Sub:         binaryAsm(subAVX2),
		Mul:         binaryAsm(mulAVX2),
		Div:         binaryAsm(divAVX2),
		AddScalar:   scalarAsm(addScalarAVX2),
		SubScalar:   scalarAsm(subScalarAVX2),
		ScalarSub:   scalarAsm(scalarSubAVX2),
		MulScalar:   scalarAsm(mulScalarAVX2),
		DivScalar:   scalarAsm(divScalarAVX2),
		ScalarDiv:   scalarAsm(scalarDivAVX2),
		ScaleShift:  scaleShiftAsm(scaleShiftAVX2),
		AddScaled:   addScaledAsm(addScaledAVX2),
		Sum:         sumAsm(sumAVX2),
		Max:         maxAsm(maxAVX2),
		ExpShiftSum: expShiftSumAsm(expShiftSumAVX2),
	}
)

// asmKernels returns the assembly kernels of level l if the CPU has it.
func asmKernels(l cpu.Level) *Kernels {
	if l > cpu.Detected {
		return nil
	}
	switch l {
	case cpu.AVX512:
		return avx512Kernels
	case cpu.AVX2:
		return avx2Kernels
	}
	return nil
}
