package shapeinfer

import (
	"math"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

type rule func(c *nctx) error

var rules = map[string]rule{}

func reg(r rule, ops ...string) {
	for _, op := range ops {
		rules[op] = r
	}
}

func init() {
	reg(unarySame,
		"Abs", "Neg", "Relu", "Sigmoid", "Tanh", "Erf", "Exp", "Log", "Sqrt", "Reciprocal",
		"Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan",
		"Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Softplus", "Softsign", "HardSigmoid",
		"HardSwish", "LeakyRelu", "Elu", "Selu", "Celu", "ThresholdedRelu", "Gelu", "Mish",
		"Not", "BitwiseNot", "Clip", "Softmax", "LogSoftmax", "Hardmax", "LpNormalization",
		"MeanVarianceNormalization", "Shrink", "LRN", "InstanceNormalization",
		"GroupNormalization", "CumSum", "Trilu", "ScatterND", "ScatterElements", "Scatter",
		"ReverseSequence", "Binarizer")
	reg(unaryBool, "IsNaN", "IsInf")
	reg(identity, "Identity")
	reg(binary(nil), "Add", "Sub", "Mul", "Div", "Pow", "Mod", "BitShift", "PRelu",
		"BitwiseAnd", "BitwiseOr", "BitwiseXor", "Max", "Min", "Sum", "Mean")
	reg(binaryBool, "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
		"And", "Or", "Xor")
	reg(where, "Where")
	reg(cast, "Cast")
	reg(castLike, "CastLike")
	reg(dropout, "Dropout")
	reg(constant, "Constant")
	reg(constantOfShape, "ConstantOfShape")
	reg(shapeOp, "Shape")
	reg(sizeOp, "Size")
	reg(rangeOp, "Range")
	reg(reshape, "Reshape")
	reg(flatten, "Flatten")
	reg(transpose, "Transpose")
	reg(squeeze, "Squeeze")
	reg(unsqueeze, "Unsqueeze")
	reg(concat, "Concat")
	reg(split, "Split")
	reg(slice, "Slice")
	reg(gather, "Gather")
	reg(gatherElements, "GatherElements")
	reg(gatherND, "GatherND")
	reg(expand, "Expand")
	reg(tile, "Tile")
	reg(pad, "Pad")
	reg(reduce, "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
		"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare")
	reg(argReduce, "ArgMax", "ArgMin")
	reg(topK, "TopK")
	reg(eyeLike, "EyeLike")
	reg(nonZero, "NonZero")
	reg(depthToSpace, "DepthToSpace")
	reg(spaceToDepth, "SpaceToDepth")
	reg(quantize, "QuantizeLinear")
	reg(dequantize, "DequantizeLinear")
}

func copyShape(sh []sd) []sd { return append([]sd(nil), sh...) }

// like returns a value of input i's shape with element type elem (input i's
// when Undefined).
func (c *nctx) like(i int, elem tensor.DType) *val {
	v := c.in(i)
	if v == nil {
		if elem == tensor.Undefined {
			return nil
		}
		return &val{elem: elem}
	}
	if elem == tensor.Undefined {
		elem = v.elem
	}
	return &val{elem: elem, ranked: v.ranked, shape: copyShape(v.shape)}
}

func unarySame(c *nctx) error {
	c.set(0, c.like(0, tensor.Undefined))
	return nil
}

func unaryBool(c *nctx) error {
	c.set(0, c.like(0, tensor.Bool))
	return nil
}

func identity(c *nctx) error {
	v := c.in(0)
	if v == nil {
		if c.has(0) {
			if o := c.s.vals[c.inName(0)]; o != nil {
				c.set(0, o)
			}
		}
		return nil
	}
	cp := *v
	c.set(0, &cp)
	return nil
}

// broadcastInputs broadcasts every present input; nil when a rank is unknown.
func (c *nctx) broadcastInputs(idx []int) ([]sd, bool, error) {
	var shapes [][]sd
	for _, i := range idx {
		v := c.rin(i)
		if v == nil {
			return nil, false, nil
		}
		shapes = append(shapes, v.shape)
	}
	out, ok := bshape(shapes...)
	if !ok {
		s := ""
		for k, i := range idx {
			if k > 0 {
				s += " and "
			}
			s += c.describe(i)
		}
		return nil, false, c.errf("inputs %s are not broadcastable", s)
	}
	return out, true, nil
}

func allInputs(c *nctx) []int {
	var idx []int
	for i := range c.n.Inputs {
		if c.has(i) {
			idx = append(idx, i)
		}
	}
	return idx
}

// intOp is the value function of integer elementwise ops (shape arithmetic).
var intOps = map[string]func(xs []sd) sd{
	"Add": func(xs []sd) sd { return addSd(xs[0], xs[1]) },
	"Sub": func(xs []sd) sd { return subSd(xs[0], xs[1]) },
	"Mul": func(xs []sd) sd { return mulSd(xs[0], xs[1]) },
	"Div": func(xs []sd) sd { return divSd(xs[0], xs[1]) },
	"Max": func(xs []sd) sd { return foldKnown(xs, func(a, b int64) int64 { return max(a, b) }) },
	"Min": func(xs []sd) sd { return foldKnown(xs, func(a, b int64) int64 { return min(a, b) }) },
	"Equal": func(xs []sd) sd {
		if xs[0].same(xs[1]) {
			return fixed(1)
		}
		if xs[0].known && xs[1].known {
			return fixed(0)
		}
		// Symbols stand for sizes, which are never negative.
		if (xs[0].known && xs[0].v < 0 && !xs[1].known && (xs[1].p != "" || xs[1].mn != "")) ||
			(xs[1].known && xs[1].v < 0 && !xs[0].known && (xs[0].p != "" || xs[0].mn != "")) {
			return fixed(0)
		}
		return sd{}
	},
	"Less":           cmpKnown(func(a, b int64) bool { return a < b }),
	"Greater":        cmpKnown(func(a, b int64) bool { return a > b }),
	"LessOrEqual":    cmpKnown(func(a, b int64) bool { return a <= b }),
	"GreaterOrEqual": cmpKnown(func(a, b int64) bool { return a >= b }),
	"Not": func(xs []sd) sd {
		if xs[0].known {
			return fixed(b2i(xs[0].v == 0))
		}
		return sd{}
	},
	"Where": func(xs []sd) sd {
		if xs[0].known {
			if xs[0].v != 0 {
				return xs[1]
			}
			return xs[2]
		}
		if xs[1].same(xs[2]) {
			return xs[1]
		}
		return sd{}
	},
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func foldKnown(xs []sd, f func(a, b int64) int64) sd {
	if !xs[0].known {
		for _, x := range xs[1:] {
			if !x.same(xs[0]) {
				return sd{}
			}
		}
		return xs[0]
	}
	r := xs[0].v
	for _, x := range xs[1:] {
		if !x.known {
			return sd{}
		}
		r = f(r, x.v)
	}
	return fixed(r)
}

func cmpKnown(f func(a, b int64) bool) func(xs []sd) sd {
	return func(xs []sd) sd {
		if xs[0].known && xs[1].known {
			return fixed(b2i(f(xs[0].v, xs[1].v)))
		}
		return sd{}
	}
}

func elementwise(c *nctx, elem tensor.DType, idx []int, valElemOK bool) error {
	if elem == tensor.Undefined && c.n.OpType != "Where" {
		for _, i := range idx {
			if e := c.elem(i); e != tensor.Undefined {
				elem = e
				break
			}
		}
	}
	out, ok, err := c.broadcastInputs(idx)
	if err != nil {
		return err
	}
	if !ok {
		if elem != tensor.Undefined {
			c.set(0, &val{elem: elem})
		}
		return nil
	}
	v := ranked(elem, out)
	if f := intOps[c.n.OpType]; f != nil && valElemOK && isIntType(elem) {
		var ins []*val
		for _, i := range idx {
			ins = append(ins, c.in(i))
		}
		v.vals = bcastVals(out, ins, f)
	}
	c.set(0, v)
	return nil
}

func binary(_ any) rule {
	return func(c *nctx) error {
		if c.n.OpType == "PRelu" || (c.opset < 7 && c.n.OpType != "Max" && c.n.OpType != "Min" && c.n.OpType != "Sum" && c.n.OpType != "Mean") {
			// PRelu's slope broadcasts to X; before opset 7 binary ops
			// broadcast B into A (attribute broadcast/axis): the output
			// has A's shape.
			c.set(0, c.like(0, tensor.Undefined))
			return nil
		}
		elem := c.elem(0)
		if elem == tensor.Undefined && c.n.OpType != "Pow" {
			elem = c.elem(1)
		}
		return elementwise(c, elem, allInputs(c), true)
	}
}

func binaryBool(c *nctx) error {
	if c.opset < 7 {
		c.set(0, c.like(0, tensor.Bool))
		return nil
	}
	ok := true
	for _, i := range allInputs(c) {
		if !isIntType(c.elem(i)) {
			ok = false
		}
	}
	return elementwise(c, tensor.Bool, allInputs(c), ok)
}

func where(c *nctx) error {
	elem := c.elem(1)
	if elem == tensor.Undefined {
		elem = c.elem(2)
	}
	if err := elementwise(c, elem, []int{0, 1, 2}, true); err != nil {
		return err
	}
	return nil
}

func cast(c *nctx) error {
	to := tensor.DType(c.attrInt("to", 0))
	if to == tensor.Undefined {
		return nil
	}
	v := c.like(0, to)
	if v == nil {
		return nil
	}
	if in := c.in(0); in != nil && in.vals != nil && isIntType(in.elem) && isIntType(to) {
		v.vals = make([]sd, len(in.vals))
		for i, x := range in.vals {
			switch {
			case to == tensor.Bool && x.known:
				v.vals[i] = fixed(b2i(x.v != 0))
			case to == tensor.Bool:
				v.vals[i] = sd{}
			case !x.known && (to == tensor.Int64 || to == tensor.Int32):
				v.vals[i] = x // symbols are sizes
			case x.known && fits(x.v, to):
				v.vals[i] = x
			default:
				v.vals[i] = sd{}
			}
		}
	}
	c.set(0, v)
	return nil
}

func castLike(c *nctx) error {
	if e := c.elem(1); e != tensor.Undefined {
		c.set(0, c.like(0, e))
	}
	return nil
}

func dropout(c *nctx) error {
	c.set(0, c.like(0, tensor.Undefined))
	c.set(1, c.like(0, tensor.Bool))
	return nil
}

func constant(c *nctx) error {
	for name, a := range c.n.Attrs {
		switch name {
		case "value":
			if a.T != nil {
				c.set(0, fromConst(a.T))
			}
		case "value_float":
			c.set(0, fromConst(tensor.Scalar(a.F)))
		case "value_floats":
			c.set(0, fromConst(tensor.New([]int{len(a.Floats)}, append([]float32(nil), a.Floats...))))
		case "value_int":
			c.set(0, fromConst(tensor.Scalar(a.I)))
		case "value_ints":
			c.set(0, fromConst(tensor.New([]int{len(a.Ints)}, append([]int64(nil), a.Ints...))))
		case "value_string":
			c.set(0, ranked(tensor.String, []sd{}))
		case "value_strings":
			c.set(0, ranked(tensor.String, []sd{fixed(int64(len(a.Strings)))}))
		case "sparse_value":
			if a.T != nil {
				c.set(0, fromConst(a.T))
			}
		}
	}
	return nil
}

func constantOfShape(c *nctx) error {
	elem := tensor.Float32
	var fill *tensor.Tensor
	if a := c.attr("value"); a != nil && a.T != nil {
		elem = a.T.DType()
		if a.T.Len() == 1 {
			fill = a.T
		}
	}
	dims, ok := c.ints(0)
	if !ok {
		if in := c.rin(0); in != nil && in.rank() == 1 && in.shape[0].known && in.shape[0].v <= maxRank {
			c.set(0, ranked(elem, make([]sd, in.shape[0].v)))
			return nil
		}
		c.set(0, &val{elem: elem})
		return nil
	}
	sh := copyShape(dims)
	for i, d := range sh {
		if d.known && d.v < 0 {
			return c.errf("shape input %q holds negative size %d", c.inName(0), d.v)
		}
		_ = i
	}
	v := ranked(elem, sh)
	if fill != nil && isIntType(elem) {
		if _, n, ok := knownInts(sh); ok {
			x := fill.Int64s()[0]
			v.vals = make([]sd, n)
			for i := range v.vals {
				v.vals[i] = fixed(x)
			}
		}
	}
	c.set(0, v)
	return nil
}

func shapeOp(c *nctx) error {
	in := c.in(0)
	if in == nil || !in.ranked {
		c.set(0, ranked(tensor.Int64, []sd{{}}))
		return nil
	}
	r := in.rank()
	start, end := int64(0), int64(r)
	if c.opset >= 15 {
		start = c.attrInt("start", 0)
		end = c.attrInt("end", int64(r))
	}
	clamp := func(x int64) int64 {
		if x < 0 {
			x += int64(r)
		}
		return min(max(x, 0), int64(r))
	}
	start, end = clamp(start), clamp(end)
	if end < start {
		end = start
	}
	vals := copyShape(in.shape[start:end])
	v := ranked(tensor.Int64, []sd{fixed(int64(len(vals)))})
	v.vals = vals
	c.set(0, v)
	return nil
}

func sizeOp(c *nctx) error {
	v := ranked(tensor.Int64, []sd{})
	if in := c.rin(0); in != nil {
		p := prodSd(in.shape)
		v.vals = []sd{p}
	}
	c.set(0, v)
	return nil
}

func rangeOp(c *nctx) error {
	elem := c.elem(0)
	if elem == tensor.Undefined {
		elem = c.elem(1)
	}
	vs := make([]*tensor.Tensor, 3)
	for i := range vs {
		if v := c.in(i); v != nil && v.konst != nil && v.konst.Len() == 1 {
			vs[i] = v.konst
		}
	}
	if vs[0] == nil || vs[1] == nil || vs[2] == nil {
		// Integer scalars may be tracked symbolically: start 0, delta 1
		// gives limit elements.
		s, ok0 := c.ints(0)
		l, ok1 := c.ints(1)
		d, ok2 := c.ints(2)
		if ok0 && ok1 && ok2 && len(s) == 1 && len(l) == 1 && len(d) == 1 && s[0].is(0) && d[0].is(1) {
			c.set(0, ranked(elem, []sd{l[0]}))
			return nil
		}
		c.set(0, ranked(elem, []sd{{}}))
		return nil
	}
	start, limit, delta := vs[0].Float64s()[0], vs[1].Float64s()[0], vs[2].Float64s()[0]
	if delta == 0 {
		c.set(0, ranked(elem, []sd{{}}))
		return nil
	}
	n := math.Ceil((limit - start) / delta)
	if n < 0 || math.IsNaN(n) {
		n = 0
	}
	if n > 1<<40 {
		c.set(0, ranked(elem, []sd{{}}))
		return nil
	}
	v := ranked(elem, []sd{fixed(int64(n))})
	if isIntType(elem) && n <= maxVals {
		st, dl := vs[0].Int64s()[0], vs[2].Int64s()[0]
		v.vals = make([]sd, int(n))
		for i := range v.vals {
			v.vals[i] = fixed(st + int64(i)*dl)
		}
	}
	c.set(0, v)
	return nil
}

func reshape(c *nctx) error {
	in := c.in(0)
	var target []sd
	var ok bool
	if c.opset < 5 {
		var ts []int64
		ts, ok = c.attrInts("shape")
		for _, x := range ts {
			target = append(target, fixed(x))
		}
	} else {
		target, ok = c.ints(1)
	}
	elem := tensor.Undefined
	if in != nil {
		elem = in.elem
	}
	if !ok {
		if t := c.rin(1); t != nil && t.rank() == 1 && t.shape[0].known && t.shape[0].v <= maxRank {
			c.set(0, ranked(elem, make([]sd, t.shape[0].v)))
		} else {
			c.set(0, &val{elem: elem})
		}
		return nil
	}
	allowZero := c.opset >= 14 && c.attrInt("allowzero", 0) != 0
	out := copyShape(target)
	neg := -1
	for i, d := range out {
		switch {
		case d.known && d.v == -1:
			if neg >= 0 {
				return c.errf("shape %s has more than one -1", fmtShape(target))
			}
			neg = i
		case d.known && d.v == 0 && !allowZero:
			if in == nil || !in.ranked {
				out[i] = sd{}
			} else if i >= in.rank() {
				return c.errf("shape %s copies dimension %d (0) but input %s has rank %d", fmtShape(target), i, c.describe(0), in.rank())
			} else {
				out[i] = in.shape[i]
			}
		case d.known && d.v < -1:
			return c.errf("shape %s holds invalid size %d", fmtShape(target), d.v)
		}
	}
	if neg >= 0 {
		out[neg] = sd{}
		if in != nil && in.ranked {
			rest := append(copyShape(out[:neg]), out[neg+1:]...)
			q, ok := quotient(in.shape, rest)
			if !ok {
				return c.errf("cannot reshape input %s into %s: element count not divisible", c.describe(0), fmtShape(target))
			}
			out[neg] = q
		}
	} else if in != nil {
		n1, ok1 := in.numel()
		n2, ok2 := (&val{ranked: true, shape: out}).numel()
		if ok1 && ok2 && n1 != n2 {
			return c.errf("cannot reshape input %s (%d elements) into %s (%d elements)", c.describe(0), n1, fmtShape(target), n2)
		}
	}
	v := ranked(elem, out)
	if in != nil && in.vals != nil {
		v.vals = in.vals
	}
	c.set(0, v)
	return nil
}

func flatten(c *nctx) error {
	in := c.rin(0)
	if in == nil {
		c.set(0, ranked(c.elem(0), []sd{{}, {}}))
		return nil
	}
	axis := c.attrInt("axis", 1)
	if axis < 0 {
		axis += int64(in.rank())
	}
	if axis < 0 || axis > int64(in.rank()) {
		return nil
	}
	c.set(0, ranked(in.elem, []sd{prodSd(in.shape[:axis]), prodSd(in.shape[axis:])}))
	return nil
}

func transpose(c *nctx) error {
	in := c.rin(0)
	if in == nil {
		c.set(0, c.like(0, tensor.Undefined))
		return nil
	}
	r := in.rank()
	perm, ok := c.attrInts("perm")
	if !ok {
		perm = make([]int64, r)
		for i := range perm {
			perm[i] = int64(r - 1 - i)
		}
	}
	if len(perm) != r {
		return c.errf("perm %v has %d entries but input %s has rank %d", perm, len(perm), c.describe(0), r)
	}
	out := make([]sd, r)
	for i, p := range perm {
		a, ok := normAxis(p, r)
		if !ok {
			return nil
		}
		out[i] = in.shape[a]
	}
	c.set(0, ranked(in.elem, out))
	return nil
}

// axesInput returns the axes of ops whose axes moved from an attribute to
// input 1 at opset `since`. present=false when none given.
func (c *nctx) axes(since, input int) (axes []int64, present, known bool) {
	if c.opset < since {
		a, ok := c.attrInts("axes")
		return a, ok, true
	}
	if !c.has(input) {
		return nil, false, true
	}
	a, ok := c.constInts(input)
	return a, true, ok
}

func squeeze(c *nctx) error {
	in := c.rin(0)
	axes, present, known := c.axes(13, 1)
	if in == nil || !known {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	r := in.rank()
	drop := make([]bool, r)
	if !present || len(axes) == 0 {
		for i, d := range in.shape {
			if !d.known {
				c.set(0, c.likeUnranked(0))
				return nil
			}
			drop[i] = d.v == 1
		}
	} else {
		for _, a := range axes {
			ax, ok := normAxis(a, r)
			if !ok {
				return nil
			}
			if d := in.shape[ax]; d.known && d.v != 1 {
				return c.errf("cannot squeeze axis %d of input %s: size is %d, not 1", a, c.describe(0), d.v)
			}
			drop[ax] = true
		}
	}
	var out []sd
	for i, d := range in.shape {
		if !drop[i] {
			out = append(out, d)
		}
	}
	v := ranked(in.elem, append([]sd{}, out...))
	v.vals = in.vals
	c.set(0, v)
	return nil
}

func (c *nctx) likeUnranked(i int) *val {
	e := c.elem(i)
	if e == tensor.Undefined {
		return nil
	}
	return &val{elem: e}
}

func unsqueeze(c *nctx) error {
	in := c.rin(0)
	axes, _, known := c.axes(13, 1)
	if in == nil || !known {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	r := in.rank() + len(axes)
	ins := make([]bool, r)
	for _, a := range axes {
		ax, ok := normAxis(a, r)
		if !ok || ins[ax] {
			return nil
		}
		ins[ax] = true
	}
	out := make([]sd, 0, r)
	k := 0
	for i := 0; i < r; i++ {
		if ins[i] {
			out = append(out, fixed(1))
		} else {
			out = append(out, in.shape[k])
			k++
		}
	}
	v := ranked(in.elem, out)
	v.vals = in.vals
	c.set(0, v)
	return nil
}

func concat(c *nctx) error {
	idx := allInputs(c)
	elem := tensor.Undefined
	r := -1
	for _, i := range idx {
		if e := c.elem(i); e != tensor.Undefined && elem == tensor.Undefined {
			elem = e
		}
		if v := c.rin(i); v != nil {
			if r >= 0 && v.rank() != r {
				return c.errf("inputs %s and %s have different ranks", c.describe(idx[0]), c.describe(i))
			}
			r = v.rank()
		}
	}
	if r < 0 {
		c.set(0, c.likeUnranked(idx[0]))
		return nil
	}
	axis, ok := normAxis(c.attrInt("axis", 0), r)
	if !ok {
		return nil
	}
	out := make([]sd, r)
	for d := range out {
		if d == axis {
			out[d] = fixed(0)
			continue
		}
		out[d] = sd{}
		first := -1
		for _, i := range idx {
			v := c.rin(i)
			if v == nil {
				continue
			}
			x := v.shape[d]
			switch {
			case out[d].known && x.known && out[d].v != x.v:
				return c.errf("inputs %s and %s differ in non-concatenated dimension %d", c.describe(first), c.describe(i), d)
			case x.known:
				out[d], first = x, i
			case !out[d].known && out[d].p == "" && x.p != "":
				out[d], first = x, i
			}
			if first < 0 {
				first = i
			}
		}
	}
	allVals := true
	var vals []sd
	for _, i := range idx {
		v := c.rin(i)
		if v == nil {
			out[axis] = sd{}
			allVals = false
			continue
		}
		out[axis] = addSd(out[axis], v.shape[axis])
		if v.vals == nil {
			allVals = false
		}
		vals = append(vals, v.vals...)
	}
	// Only rank-1 contents concatenate by appending.
	o := ranked(elem, out)
	if allVals && r == 1 {
		o.vals = vals
	}
	c.set(0, o)
	return nil
}

func split(c *nctx) error {
	in := c.rin(0)
	nout := len(c.n.Outputs)
	if in == nil {
		for i := 0; i < nout; i++ {
			c.set(i, c.likeUnranked(0))
		}
		return nil
	}
	axis, ok := normAxis(c.attrInt("axis", 0), in.rank())
	if !ok {
		return nil
	}
	var sizes []int64
	given := false
	if c.opset < 13 {
		sizes, given = c.attrInts("split")
		if !given && c.opset < 11 && c.has(1) {
			sizes, given = c.constInts(1)
			if !given {
				return nil
			}
		}
	} else if c.has(1) {
		sizes, given = c.constInts(1)
		if !given {
			for i := 0; i < nout; i++ {
				sh := copyShape(in.shape)
				sh[axis] = sd{}
				c.set(i, ranked(in.elem, sh))
			}
			return nil
		}
	}
	dim := in.shape[axis]
	outDims := make([]sd, nout)
	switch {
	case given:
		if len(sizes) != nout {
			return c.errf("split sizes %v give %d parts but the node has %d outputs", sizes, len(sizes), nout)
		}
		total := int64(0)
		for i, s := range sizes {
			if s < 0 {
				return c.errf("split sizes %v hold a negative size", sizes)
			}
			total += s
			outDims[i] = fixed(s)
		}
		if dim.known && total != dim.v {
			return c.errf("split sizes %v sum to %d but axis %d of input %s has size %d", sizes, total, axis, c.describe(0), dim.v)
		}
	case c.opset >= 18 && c.attr("num_outputs") != nil:
		k := c.attrInt("num_outputs", int64(nout))
		if k <= 0 {
			return nil
		}
		if dim.known {
			per := (dim.v + k - 1) / k
			for i := range outDims {
				if int64(i) < k-1 {
					outDims[i] = fixed(per)
				} else {
					outDims[i] = fixed(dim.v - per*(k-1))
				}
			}
		} else if k == 1 {
			outDims[0] = dim
		}
	default:
		if dim.known {
			if dim.v%int64(nout) != 0 {
				return c.errf("axis %d of input %s (size %d) cannot be split into %d equal parts", axis, c.describe(0), dim.v, nout)
			}
			for i := range outDims {
				outDims[i] = fixed(dim.v / int64(nout))
			}
		} else if nout == 1 {
			outDims[0] = dim
		}
	}
	for i := range outDims {
		sh := copyShape(in.shape)
		sh[axis] = outDims[i]
		c.set(i, ranked(in.elem, sh))
	}
	return nil
}

func slice(c *nctx) error {
	in := c.rin(0)
	if in == nil {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	r := in.rank()
	var starts, ends, axes, steps []sd
	ok := true
	toSd := func(xs []int64) []sd {
		out := make([]sd, len(xs))
		for i, x := range xs {
			out[i] = fixed(x)
		}
		return out
	}
	if c.opset < 10 {
		s, ok1 := c.attrInts("starts")
		e, ok2 := c.attrInts("ends")
		ok = ok1 && ok2
		starts, ends = toSd(s), toSd(e)
		if a, has := c.attrInts("axes"); has {
			axes = toSd(a)
		}
	} else {
		var ok1, ok2 bool
		starts, ok1 = c.ints(1)
		ends, ok2 = c.ints(2)
		ok = ok1 && ok2
		if c.has(3) {
			a, okA := c.constInts(3)
			ok = ok && okA
			axes = toSd(a)
		}
		if c.has(4) {
			var okS bool
			steps, okS = c.ints(4)
			ok = ok && okS
		}
	}
	if !ok || len(starts) != len(ends) {
		// Axes unknown: only the rank survives.
		c.set(0, ranked(in.elem, make([]sd, r)))
		return nil
	}
	if axes == nil {
		axes = make([]sd, len(starts))
		for i := range axes {
			axes[i] = fixed(int64(i))
		}
	}
	if len(axes) != len(starts) || (steps != nil && len(steps) != len(starts)) {
		return c.errf("starts, ends, axes and steps have different lengths")
	}
	out := copyShape(in.shape)
	type win struct {
		start, step, n int64
		ok             bool
	}
	wins := make([]win, r)
	for i := range wins {
		if in.shape[i].known {
			wins[i] = win{0, 1, in.shape[i].v, true}
		}
	}
	seen := make([]bool, r)
	for k := range starts {
		if !axes[k].known {
			c.set(0, ranked(in.elem, make([]sd, r)))
			return nil
		}
		ax, okA := normAxis(axes[k].v, r)
		if !okA || seen[ax] {
			return nil
		}
		seen[ax] = true
		step := fixed(1)
		if steps != nil {
			step = steps[k]
		}
		st, en, d := starts[k], ends[k], in.shape[ax]
		if step.is(0) {
			return c.errf("step for axis %d is 0", ax)
		}
		if st.is(0) && step.is(1) && ((en.known && (en.v >= math.MaxInt32 || (d.known && en.v >= d.v))) || (en.p != "" && en.p == d.p)) {
			continue // whole axis
		}
		if st.is(0) && step.is(1) && en.p != "" && d.known {
			// x[:P] of a fixed axis: min(P, d) as P is a size (≥ 0).
			out[ax] = minOf(en.p, d.v)
			wins[ax].ok = false
			continue
		}
		if !d.known || !st.known || !en.known || !step.known {
			out[ax] = sd{}
			wins[ax].ok = false
			continue
		}
		s, e, n := st.v, en.v, d.v
		if s < 0 {
			s += n
		}
		if e < 0 {
			e += n
		}
		var cnt int64
		if step.v > 0 {
			s = min(max(s, 0), n)
			e = min(max(e, 0), n)
			if e > s {
				cnt = (e - s + step.v - 1) / step.v
			}
		} else {
			s = min(max(s, -1), n-1)
			e = min(max(e, -1), n-1)
			if s > e {
				cnt = (s - e + (-step.v) - 1) / (-step.v)
			}
		}
		out[ax] = fixed(cnt)
		wins[ax] = win{s, step.v, cnt, true}
	}
	v := ranked(in.elem, out)
	if in.vals != nil && r == 1 && wins[0].ok {
		w := wins[0]
		v.vals = make([]sd, w.n)
		for i := int64(0); i < w.n; i++ {
			j := w.start + i*w.step
			if j < 0 || j >= int64(len(in.vals)) {
				v.vals = nil
				break
			}
			v.vals[i] = in.vals[j]
		}
	}
	c.set(0, v)
	return nil
}

func gather(c *nctx) error {
	data, idx := c.rin(0), c.rin(1)
	if data == nil || idx == nil {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	axis, ok := normAxis(c.attrInt("axis", 0), data.rank())
	if !ok {
		return nil
	}
	out := copyShape(data.shape[:axis])
	out = append(out, idx.shape...)
	out = append(out, data.shape[axis+1:]...)
	v := ranked(data.elem, out)
	if data.vals != nil && data.rank() == 1 && idx.vals != nil {
		n := int64(len(data.vals))
		v.vals = make([]sd, len(idx.vals))
		for i, x := range idx.vals {
			if !x.known {
				v.vals = nil
				break
			}
			j := x.v
			if j < 0 {
				j += n
			}
			if j < 0 || j >= n {
				v.vals = nil
				break
			}
			v.vals[i] = data.vals[j]
		}
	}
	c.set(0, v)
	return nil
}

func gatherElements(c *nctx) error {
	idx := c.rin(1)
	if idx == nil {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	c.set(0, ranked(c.elem(0), copyShape(idx.shape)))
	return nil
}

func gatherND(c *nctx) error {
	data, idx := c.rin(0), c.rin(1)
	if data == nil || idx == nil || idx.rank() == 0 {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	b := int(c.attrInt("batch_dims", 0))
	last := idx.shape[idx.rank()-1]
	if !last.known || b < 0 || b+int(last.v) > data.rank() {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	out := copyShape(idx.shape[:idx.rank()-1])
	out = append(out, data.shape[b+int(last.v):]...)
	c.set(0, ranked(data.elem, out))
	return nil
}

func expand(c *nctx) error {
	in := c.rin(0)
	target, ok := c.ints(1)
	if in == nil || !ok {
		if t := c.rin(1); t != nil && t.rank() == 1 && t.shape[0].known && t.shape[0].v <= maxRank && in != nil {
			r := max(int(t.shape[0].v), in.rank())
			c.set(0, ranked(in.elem, make([]sd, r)))
			return nil
		}
		c.set(0, c.likeUnranked(0))
		return nil
	}
	out, okB := bshape(in.shape, target)
	if !okB {
		return c.errf("input %s cannot be expanded to shape %s", c.describe(0), fmtShape(target))
	}
	v := ranked(in.elem, out)
	if in.vals != nil {
		v.vals = bcastVals(out, []*val{in}, func(xs []sd) sd { return xs[0] })
	}
	c.set(0, v)
	return nil
}

func tile(c *nctx) error {
	in := c.rin(0)
	reps, ok := c.ints(1)
	if in == nil {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	if !ok {
		c.set(0, ranked(in.elem, make([]sd, in.rank())))
		return nil
	}
	if len(reps) != in.rank() {
		return c.errf("repeats has %d entries but input %s has rank %d", len(reps), c.describe(0), in.rank())
	}
	out := make([]sd, in.rank())
	for i := range out {
		out[i] = mulSd(in.shape[i], reps[i])
	}
	c.set(0, ranked(in.elem, out))
	return nil
}

func pad(c *nctx) error {
	in := c.rin(0)
	if in == nil {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	r := in.rank()
	var pads []sd
	ok := true
	if c.opset < 11 {
		p, has := c.attrInts("pads")
		if !has {
			p, has = c.attrInts("paddings")
		}
		ok = has
		for _, x := range p {
			pads = append(pads, fixed(x))
		}
	} else {
		pads, ok = c.ints(1)
	}
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if c.opset >= 18 && c.has(3) {
		a, okA := c.constInts(3)
		if !okA {
			ok = false
		} else {
			axes = axes[:0]
			for _, x := range a {
				ax, okN := normAxis(x, r)
				if !okN {
					return nil
				}
				axes = append(axes, ax)
			}
		}
	}
	if !ok || len(pads) != 2*len(axes) {
		c.set(0, ranked(in.elem, make([]sd, r)))
		return nil
	}
	out := copyShape(in.shape)
	for k, ax := range axes {
		d := addSd(addSd(out[ax], pads[k]), pads[k+len(axes)])
		if d.known && d.v < 0 {
			return c.errf("pads %s make axis %d of input %s negative", fmtShape(pads), ax, c.describe(0))
		}
		out[ax] = d
	}
	c.set(0, ranked(in.elem, out))
	return nil
}

func reduce(c *nctx) error {
	in := c.rin(0)
	since := 18
	if c.n.OpType == "ReduceSum" {
		since = 13
	}
	axes, present, known := c.axes(since, 1)
	keep := c.attrInt("keepdims", 1) != 0
	if in == nil {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	r := in.rank()
	if !known {
		if keep {
			c.set(0, ranked(in.elem, make([]sd, r)))
		} else {
			c.set(0, c.likeUnranked(0))
		}
		return nil
	}
	red := make([]bool, r)
	if !present || len(axes) == 0 {
		if c.opset >= since && c.attrInt("noop_with_empty_axes", 0) != 0 {
			c.set(0, ranked(in.elem, copyShape(in.shape)))
			return nil
		}
		for i := range red {
			red[i] = true
		}
	}
	for _, a := range axes {
		ax, ok := normAxis(a, r)
		if !ok {
			return nil
		}
		red[ax] = true
	}
	var out []sd
	for i, d := range in.shape {
		switch {
		case !red[i]:
			out = append(out, d)
		case keep:
			out = append(out, fixed(1))
		}
	}
	c.set(0, ranked(in.elem, append([]sd{}, out...)))
	return nil
}

func argReduce(c *nctx) error {
	in := c.rin(0)
	if in == nil {
		c.set(0, &val{elem: tensor.Int64})
		return nil
	}
	ax, ok := normAxis(c.attrInt("axis", 0), in.rank())
	if !ok {
		return nil
	}
	out := copyShape(in.shape)
	if c.attrInt("keepdims", 1) != 0 {
		out[ax] = fixed(1)
	} else {
		out = append(out[:ax], out[ax+1:]...)
	}
	c.set(0, ranked(tensor.Int64, out))
	return nil
}

func topK(c *nctx) error {
	in := c.rin(0)
	if in == nil {
		c.set(0, c.likeUnranked(0))
		c.set(1, &val{elem: tensor.Int64})
		return nil
	}
	ax, ok := normAxis(c.attrInt("axis", -1), in.rank())
	if !ok {
		return nil
	}
	k := sd{}
	if c.opset < 10 {
		k = fixed(c.attrInt("k", -1))
	} else if ks, ok := c.ints(1); ok && len(ks) == 1 {
		k = ks[0]
	}
	if k.known && k.v < 0 {
		return c.errf("k is %d, must be non-negative", k.v)
	}
	if d := in.shape[ax]; k.known && d.known && k.v > d.v {
		return c.errf("k = %d exceeds axis %d of input %s", k.v, ax, c.describe(0))
	}
	out := copyShape(in.shape)
	out[ax] = k
	c.set(0, ranked(in.elem, out))
	c.set(1, ranked(tensor.Int64, copyShape(out)))
	return nil
}

func eyeLike(c *nctx) error {
	elem := tensor.DType(c.attrInt("dtype", int64(c.elem(0))))
	c.set(0, c.like(0, elem))
	return nil
}

func nonZero(c *nctx) error {
	in := c.rin(0)
	if in == nil {
		c.set(0, ranked(tensor.Int64, []sd{{}, {}}))
		return nil
	}
	c.set(0, ranked(tensor.Int64, []sd{fixed(int64(in.rank())), {}}))
	return nil
}

func depthToSpace(c *nctx) error {
	in := c.rin(0)
	b := c.attrInt("blocksize", 0)
	if in == nil || in.rank() != 4 || b <= 0 {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	ch, _ := quotient([]sd{in.shape[1]}, []sd{fixed(b * b)})
	if in.shape[1].known && in.shape[1].v%(b*b) != 0 {
		return c.errf("channels of input %s not divisible by blocksize² = %d", c.describe(0), b*b)
	}
	c.set(0, ranked(in.elem, []sd{in.shape[0], ch, mulSd(in.shape[2], fixed(b)), mulSd(in.shape[3], fixed(b))}))
	return nil
}

func spaceToDepth(c *nctx) error {
	in := c.rin(0)
	b := c.attrInt("blocksize", 0)
	if in == nil || in.rank() != 4 || b <= 0 {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	h, _ := quotient([]sd{in.shape[2]}, []sd{fixed(b)})
	w, _ := quotient([]sd{in.shape[3]}, []sd{fixed(b)})
	c.set(0, ranked(in.elem, []sd{in.shape[0], mulSd(in.shape[1], fixed(b*b)), h, w}))
	return nil
}

func quantize(c *nctx) error {
	elem := tensor.Uint8
	if c.has(2) {
		elem = c.elem(2)
	} else if a := c.attr("output_dtype"); a != nil && a.Type == graph.AttrInt && a.I != 0 {
		elem = tensor.DType(a.I)
	}
	if v := c.like(0, tensor.Undefined); v != nil {
		v.elem = elem
		c.set(0, v)
	}
	return nil
}

func dequantize(c *nctx) error {
	elem := tensor.Float32
	if c.opset >= 19 {
		elem = c.elem(1)
	}
	if v := c.like(0, tensor.Undefined); v != nil {
		v.elem = elem
		c.set(0, v)
	}
	return nil
}

func init() {
	reg(oneHot, "OneHot")
	reg(det, "Det")
	reg(einsum, "Einsum")
	// Unary ops whose integer contents are tracked.
	reg(unaryVals(func(x sd) sd { return subSd(fixed(0), x) }), "Neg")
	reg(unaryVals(func(x sd) sd {
		if x.known {
			return fixed(max(x.v, -x.v))
		}
		return sd{}
	}), "Abs")
}

func unaryVals(f func(sd) sd) rule {
	return func(c *nctx) error {
		v := c.like(0, tensor.Undefined)
		if in := c.in(0); v != nil && in != nil && in.vals != nil && isIntType(in.elem) {
			v.vals = make([]sd, len(in.vals))
			for i, x := range in.vals {
				v.vals[i] = f(x)
			}
		}
		c.set(0, v)
		return nil
	}
}

func oneHot(c *nctx) error {
	elem := c.elem(2)
	in := c.rin(0)
	if in == nil {
		if elem != tensor.Undefined {
			c.set(0, &val{elem: elem})
		}
		return nil
	}
	r := in.rank() + 1
	ax, ok := normAxis(c.attrInt("axis", -1), r)
	if !ok {
		return nil
	}
	depth := sd{}
	if d, ok := c.floatConsts(1); ok && len(d) == 1 && d[0] >= 0 && d[0] < 1<<40 {
		depth = fixed(int64(d[0]))
	}
	out := copyShape(in.shape[:ax])
	out = append(out, depth)
	out = append(out, in.shape[ax:]...)
	c.set(0, ranked(elem, out))
	return nil
}

func det(c *nctx) error {
	in := c.rin(0)
	if in == nil || in.rank() < 2 {
		c.set(0, c.likeUnranked(0))
		return nil
	}
	if a, b := in.shape[in.rank()-2], in.shape[in.rank()-1]; a.known && b.known && a.v != b.v {
		return c.errf("input %s is not a batch of square matrices", c.describe(0))
	}
	c.set(0, ranked(in.elem, copyShape(in.shape[:in.rank()-2])))
	return nil
}

// einsum handles explicit and implicit equations without ellipsis.
func einsum(c *nctx) error {
	eq := ""
	for _, ch := range c.attrString("equation", "") {
		if ch != ' ' {
			eq += string(ch)
		}
	}
	elem := c.elem(0)
	lhs, rhs, explicit := eq, "", false
	for i := 0; i+1 < len(eq); i++ {
		if eq[i] == '-' && eq[i+1] == '>' {
			lhs, rhs, explicit = eq[:i], eq[i+2:], true
			break
		}
	}
	terms := []string{}
	start := 0
	for i := 0; i <= len(lhs); i++ {
		if i == len(lhs) || lhs[i] == ',' {
			terms = append(terms, lhs[start:i])
			start = i + 1
		}
	}
	unknown := func() error {
		c.set(0, &val{elem: elem})
		return nil
	}
	if len(terms) != len(c.n.Inputs) {
		return unknown()
	}
	sizes := map[byte]sd{}
	count := map[byte]int{}
	for k, term := range terms {
		in := c.rin(k)
		for i := 0; i < len(term); i++ {
			if term[i] == '.' {
				return unknown()
			}
		}
		if in == nil {
			return unknown()
		}
		if len(term) != in.rank() {
			return c.errf("equation term %q has %d letters but input %s has rank %d", term, len(term), c.describe(k), in.rank())
		}
		for i := 0; i < len(term); i++ {
			l := term[i]
			count[l]++
			if prev, ok := sizes[l]; ok {
				x, okA := agree(prev, in.shape[i])
				if !okA && !prev.is(1) && !in.shape[i].is(1) {
					return c.errf("label %q has sizes %s and %s", string(l), prev, in.shape[i])
				}
				if okA {
					sizes[l] = x
				} else if prev.is(1) {
					sizes[l] = in.shape[i]
				}
			} else {
				sizes[l] = in.shape[i]
			}
		}
	}
	if !explicit {
		var ls []byte
		for l, n := range count {
			if n == 1 {
				ls = append(ls, l)
			}
		}
		for i := 0; i < len(ls); i++ {
			for j := i + 1; j < len(ls); j++ {
				if ls[j] < ls[i] {
					ls[i], ls[j] = ls[j], ls[i]
				}
			}
		}
		rhs = string(ls)
	}
	out := make([]sd, 0, len(rhs))
	for i := 0; i < len(rhs); i++ {
		d, ok := sizes[rhs[i]]
		if !ok {
			return unknown()
		}
		out = append(out, d)
	}
	c.set(0, ranked(elem, out))
	return nil
}

// fits reports whether v is representable in the integer type dt.
func fits(v int64, dt tensor.DType) bool {
	switch dt {
	case tensor.Int64:
		return true
	case tensor.Int32:
		return v >= math.MinInt32 && v <= math.MaxInt32
	case tensor.Int16:
		return v >= math.MinInt16 && v <= math.MaxInt16
	case tensor.Int8:
		return v >= math.MinInt8 && v <= math.MaxInt8
	case tensor.Uint8:
		return v >= 0 && v <= math.MaxUint8
	case tensor.Uint16:
		return v >= 0 && v <= math.MaxUint16
	case tensor.Uint32:
		return v >= 0 && v <= math.MaxUint32
	case tensor.Uint64:
		return v >= 0
	}
	return false
}
