package reduce

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	ops.RegisterVersions("", "NegativeLogLikelihoodLoss", []int{12, 13, 22}, buildLoss("NegativeLogLikelihoodLoss", false))
	ops.RegisterVersions("", "SoftmaxCrossEntropyLoss", []int{12, 13}, buildLoss("SoftmaxCrossEntropyLoss", true))
}

type loss struct {
	name      string
	softmax   bool // SoftmaxCrossEntropyLoss: log-softmax the scores first
	reduction string
	ignore    int64
	hasIgnore bool
	nOut      int
	logProb   bool // output 1 wanted
}

func buildLoss(name string, softmax bool) ops.Builder {
	return func(n *ops.Node) (ops.Kernel, error) {
		l := &loss{name: name, softmax: softmax, nOut: len(n.Outputs)}
		var err error
		if l.reduction, err = n.AttrString("reduction", "mean"); err != nil {
			return nil, err
		}
		switch l.reduction {
		case "none", "sum", "mean":
		default:
			return nil, fmt.Errorf("%s: reduction must be none, sum or mean, got %q", name, l.reduction)
		}
		if n.HasAttr("ignore_index") {
			l.hasIgnore = true
			if l.ignore, err = n.AttrInt("ignore_index", 0); err != nil {
				return nil, err
			}
		}
		if l.nOut < 1 {
			l.nOut = 1
		}
		if !softmax && l.nOut > 1 {
			return nil, fmt.Errorf("%s: has one output, the node declares %d", name, l.nOut)
		}
		l.logProb = softmax && n.HasOutput(1)
		return ops.Tensors(l.run), nil
	}
}

func (l *loss) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, target, weight := ops.Input(in, 0), ops.Input(in, 1), ops.Input(in, 2)
	if x == nil || target == nil {
		return nil, fmt.Errorf("%s: inputs 0 (scores) and 1 (labels) are required", l.name)
	}
	dt := x.DType()
	if !dt.IsFloat() {
		return nil, fmt.Errorf("%s: input must be float16, bfloat16, float32 or float64, got %v", l.name, dt)
	}
	if target.DType() != tensor.Int64 && target.DType() != tensor.Int32 {
		return nil, fmt.Errorf("%s: labels must be int32 or int64, got %v", l.name, target.DType())
	}
	xs, ts := x.Shape(), target.Shape()
	if len(xs) < 2 {
		return nil, fmt.Errorf("%s: input must have shape [N, C, d1, ...] (rank >= 2), got %v", l.name, xs)
	}
	N, C := xs[0], xs[1]
	want := append([]int{N}, xs[2:]...)
	if !ops.ShapeEqual(ts, want) {
		return nil, fmt.Errorf("%s: labels must have shape %v to match input %v, got %v", l.name, want, xs, ts)
	}
	D := ops.Product(xs[2:])
	var w []float64
	if weight != nil {
		if weight.DType() != dt {
			return nil, fmt.Errorf("%s: weights must have the input's type %v, got %v", l.name, dt, weight.DType())
		}
		if weight.Rank() != 1 || weight.Shape()[0] != C {
			return nil, fmt.Errorf("%s: weights must have shape [%d] (one per class), got %v", l.name, C, weight.Shape())
		}
		w = weight.Float64s()
	}
	logp := x.Float64s()
	if l.softmax {
		logSoftmaxAxis1(logp, N, C, D)
	}
	labels := target.Int64s()
	losses := make([]float64, len(labels))
	var sum, sumW float64
	for nIdx := 0; nIdx < N; nIdx++ {
		for d := 0; d < D; d++ {
			i := nIdx*D + d
			t := labels[i]
			if l.hasIgnore && t == l.ignore {
				continue
			}
			if t < 0 || t >= int64(C) {
				return nil, fmt.Errorf("%s: label %d at position %d is outside [0, %d)", l.name, t, i, C)
			}
			wt := 1.0
			if w != nil {
				wt = w[t]
			}
			v := -logp[(nIdx*C+int(t))*D+d] * wt
			losses[i] = v
			sum += v
			sumW += wt
		}
	}
	var out *tensor.Tensor
	var err error
	switch l.reduction {
	case "none":
		out, err = tensor.FromFloat64s(dt, ts, losses)
	case "sum":
		out, err = tensor.FromFloat64s(dt, []int{}, []float64{sum})
	default:
		out, err = tensor.FromFloat64s(dt, []int{}, []float64{sum / sumW})
	}
	if err != nil {
		return nil, err
	}
	res := make([]*tensor.Tensor, l.nOut)
	res[0] = out
	if l.logProb {
		if res[1], err = tensor.FromFloat64s(dt, xs, logp); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// logSoftmaxAxis1 replaces v, viewed as [N, C, D], by its log-softmax over C.
func logSoftmaxAxis1(v []float64, N, C, D int) {
	for n := 0; n < N; n++ {
		for d := 0; d < D; d++ {
			base := n*C*D + d
			m := math.Inf(-1)
			for c := 0; c < C; c++ {
				if x := v[base+c*D]; x > m || x != x {
					m = x
				}
			}
			if math.IsInf(m, 0) || m != m {
				// All -Inf (or a NaN/+Inf): follow the arithmetic.
				s := 0.0
				for c := 0; c < C; c++ {
					s += math.Exp(v[base+c*D])
				}
				ls := math.Log(s)
				for c := 0; c < C; c++ {
					v[base+c*D] -= ls
				}
				continue
			}
			s := 0.0
			for c := 0; c < C; c++ {
				s += math.Exp(v[base+c*D] - m)
			}
			shift := m + math.Log(s)
			for c := 0; c < C; c++ {
				v[base+c*D] -= shift
			}
		}
	}
}
