package shape

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Random generators. With a seed attribute every run starts a fresh
// generator from that seed, so a seeded model is reproducible run after run
// and kernels stay free of shared mutable state; without one each run draws
// a new seed. The values cannot match other engines' generators.

func init() {
	ops.RegisterVersions("", "RandomNormal", []int{1, 22}, buildRandom("RandomNormal"))
	ops.RegisterVersions("", "RandomUniform", []int{1, 22}, buildRandom("RandomUniform"))
	ops.RegisterVersions("", "RandomNormalLike", []int{1, 22}, buildRandom("RandomNormalLike"))
	ops.RegisterVersions("", "RandomUniformLike", []int{1, 22}, buildRandom("RandomUniformLike"))
	ops.RegisterVersions("", "Multinomial", []int{7, 22}, buildMultinomial)
	ops.RegisterVersions("", "Bernoulli", []int{15, 22}, buildBernoulli)
}

// seeder returns a function making a generator for one run.
func seeder(n *ops.Node) (func() *rand.Rand, error) {
	if !n.HasAttr("seed") {
		return func() *rand.Rand { return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) }, nil
	}
	s, err := n.AttrFloat("seed", 0)
	if err != nil {
		// Some exporters write the seed as an int.
		i, err2 := n.AttrInt("seed", 0)
		if err2 != nil {
			return nil, err
		}
		s = float32(i)
	}
	bits := uint64(math.Float32bits(s))
	return func() *rand.Rand { return rand.New(rand.NewPCG(bits, 0x9e3779b97f4a7c15)) }, nil
}

func floatOut(dt tensor.DType, what string) error {
	if !dt.IsFloat() {
		return fmt.Errorf("%s: output type %v is not a float type", what, dt)
	}
	return nil
}

func buildRandom(op string) ops.Builder {
	normal := op == "RandomNormal" || op == "RandomNormalLike"
	like := op == "RandomNormalLike" || op == "RandomUniformLike"
	return func(n *ops.Node) (ops.Kernel, error) {
		gen, err := seeder(n)
		if err != nil {
			return nil, err
		}
		dt, err := dtypeAttr(n)
		if err != nil {
			return nil, err
		}
		var p1, p2 float32 // mean/scale or low/high
		if normal {
			if p1, err = n.AttrFloat("mean", 0); err != nil {
				return nil, err
			}
			if p2, err = n.AttrFloat("scale", 1); err != nil {
				return nil, err
			}
		} else {
			if p1, err = n.AttrFloat("low", 0); err != nil {
				return nil, err
			}
			if p2, err = n.AttrFloat("high", 1); err != nil {
				return nil, err
			}
		}
		var shp []int
		if !like {
			if dt == 0 {
				dt = tensor.Float32
			}
			if err := floatOut(dt, "attribute \"dtype\""); err != nil {
				return nil, err
			}
			if !n.HasAttr("shape") {
				return nil, fmt.Errorf("attribute \"shape\" is required")
			}
			s, err := n.AttrInts("shape", nil)
			if err != nil {
				return nil, err
			}
			if shp, err = dimsOf(s, "attribute \"shape\""); err != nil {
				return nil, err
			}
		} else if dt != 0 {
			if err := floatOut(dt, "attribute \"dtype\""); err != nil {
				return nil, err
			}
		}
		return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			odt, oshp := dt, shp
			if like {
				x, err := need(in, 0, "input")
				if err != nil {
					return nil, err
				}
				oshp = x.Shape()
				if odt == 0 {
					odt = x.DType()
					if err := floatOut(odt, "input"); err != nil {
						return nil, fmt.Errorf("%w: set the dtype attribute", err)
					}
				}
			}
			cnt, err := tensor.NumElements(oshp)
			if err != nil {
				return nil, err
			}
			r := gen()
			vals := make([]float64, cnt)
			for i := range vals {
				if normal {
					vals[i] = float64(p1) + float64(p2)*r.NormFloat64()
				} else {
					vals[i] = float64(p1) + float64(p2-p1)*r.Float64()
				}
			}
			out, err := tensor.FromFloat64s(odt, oshp, vals)
			if err != nil {
				return nil, err
			}
			return rc.TensorResults(out), nil
		}), nil
	}
}

func buildMultinomial(n *ops.Node) (ops.Kernel, error) {
	gen, err := seeder(n)
	if err != nil {
		return nil, err
	}
	dt, err := dtypeAttr(n)
	if err != nil {
		return nil, err
	}
	if dt == 0 {
		dt = tensor.Int32
	}
	if dt != tensor.Int32 && dt != tensor.Int64 {
		return nil, fmt.Errorf("attribute \"dtype\" is %v, want int32 or int64", dt)
	}
	ss, err := n.AttrInt("sample_size", 1)
	if err != nil {
		return nil, err
	}
	if ss < 1 || ss > tensor.MaxElements {
		return nil, fmt.Errorf("attribute \"sample_size\" is %d, want >= 1", ss)
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "input")
		if err != nil {
			return nil, err
		}
		if x.Rank() != 2 || !x.DType().IsFloat() {
			return nil, fmt.Errorf("input: want a float tensor of shape [batch_size, class_size], got %v%v", x.DType(), x.Shape())
		}
		B, C := x.Shape()[0], x.Shape()[1]
		if C == 0 {
			return nil, fmt.Errorf("input has no classes (shape %v)", x.Shape())
		}
		oshp := []int{B, int(ss)}
		cnt, err := tensor.NumElements(oshp)
		if err != nil {
			return nil, err
		}
		logits := x.Float64s()
		r := gen()
		vals := make([]float64, cnt)
		cum := make([]float64, C)
		for b := 0; b < B; b++ {
			row := logits[b*C : (b+1)*C]
			mx := math.Inf(-1)
			for _, v := range row {
				if math.IsNaN(v) {
					return nil, fmt.Errorf("input row %d contains NaN", b)
				}
				mx = max(mx, v)
			}
			total := 0.0
			for c, v := range row {
				if !math.IsInf(mx, 0) {
					total += math.Exp(v - mx)
				} else if v == mx {
					total++ // all -Inf or +Inf entries: uniform over them
				}
				cum[c] = total
			}
			for s := 0; s < int(ss); s++ {
				u := r.Float64() * total
				k := 0
				for k < C-1 && cum[k] <= u {
					k++
				}
				vals[b*int(ss)+s] = float64(k)
			}
		}
		out, err := tensor.FromFloat64s(dt, oshp, vals)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(out), nil
	}), nil
}

func buildBernoulli(n *ops.Node) (ops.Kernel, error) {
	gen, err := seeder(n)
	if err != nil {
		return nil, err
	}
	dt, err := dtypeAttr(n)
	if err != nil {
		return nil, err
	}
	if dt == tensor.String {
		return nil, fmt.Errorf("attribute \"dtype\": string is not a valid Bernoulli output type")
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "input")
		if err != nil {
			return nil, err
		}
		if !x.DType().IsFloat() {
			return nil, fmt.Errorf("input: want a float tensor of probabilities, got %v", x.DType())
		}
		odt := dt
		if odt == 0 {
			odt = x.DType()
		}
		r := gen()
		p := x.Float64s()
		for i, v := range p {
			if r.Float64() < v {
				p[i] = 1
			} else {
				p[i] = 0
			}
		}
		out, err := tensor.FromFloat64s(odt, x.Shape(), p)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(out), nil
	}), nil
}
