package matmul

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
)

func init() {
	ops.Register("", "Einsum", 12, buildEinsum)
}

var einsumTypes = []tensor.DType{tensor.Float32, tensor.Float64, tensor.Float16, tensor.BFloat16,
	tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64,
	tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64}

// ellipsisBase is the first label number given to ellipsis dimensions;
// letters use 0..51.
const ellipsisBase = 52

// einsumEq is a parsed equation. Terms hold letter labels (0..51) with -1
// marking the ellipsis position.
type einsumEq struct {
	terms    [][]int
	out      []int // explicit output (with -1 for an ellipsis), nil if implicit
	explicit bool
}

func labelOf(c byte) (int, bool) {
	switch {
	case c >= 'a' && c <= 'z':
		return int(c - 'a'), true
	case c >= 'A' && c <= 'Z':
		return 26 + int(c-'A'), true
	}
	return 0, false
}

func labelName(l int) string {
	switch {
	case l < 26:
		return string(rune('a' + l))
	case l < 52:
		return string(rune('A' + l - 26))
	}
	return fmt.Sprintf("...%d", l-ellipsisBase)
}

func parseTerm(s string) ([]int, error) {
	var t []int
	sawEllipsis := false
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			if !strings.HasPrefix(s[i:], "...") || sawEllipsis {
				return nil, fmt.Errorf("bad ellipsis in term %q", s)
			}
			sawEllipsis = true
			t = append(t, -1)
			i += 2
			continue
		}
		l, ok := labelOf(s[i])
		if !ok {
			return nil, fmt.Errorf("invalid character %q in term %q", s[i], s)
		}
		t = append(t, l)
	}
	return t, nil
}

func parseEinsum(eq string) (*einsumEq, error) {
	eq = strings.ReplaceAll(eq, " ", "")
	lhs, rhs, explicit := strings.Cut(eq, "->")
	e := &einsumEq{explicit: explicit}
	for _, term := range strings.Split(lhs, ",") {
		t, err := parseTerm(term)
		if err != nil {
			return nil, err
		}
		e.terms = append(e.terms, t)
	}
	if explicit {
		if strings.Contains(rhs, "->") {
			return nil, fmt.Errorf("more than one \"->\"")
		}
		t, err := parseTerm(rhs)
		if err != nil {
			return nil, err
		}
		seen := map[int]bool{}
		for _, l := range t {
			if seen[l] {
				return nil, fmt.Errorf("output label %s repeated", labelName(l))
			}
			seen[l] = true
		}
		e.out = t
	}
	return e, nil
}

func buildEinsum(n *ops.Node) (ops.Kernel, error) {
	eqs, err := n.AttrString("equation", "")
	if err != nil {
		return nil, err
	}
	if !n.HasAttr("equation") {
		return nil, fmt.Errorf("Einsum: attribute \"equation\" is required")
	}
	eq, err := parseEinsum(eqs)
	if err != nil {
		return nil, fmt.Errorf("Einsum: equation %q: %w", eqs, err)
	}
	if len(eq.terms) != len(n.Inputs) {
		return nil, fmt.Errorf("Einsum: equation %q has %d operand terms but the node has %d inputs", eqs, len(eq.terms), len(n.Inputs))
	}
	return ops.Tensors(func(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		return runEinsum(eqs, eq, in)
	}), nil
}

// operand is an intermediate tensor with one label per dimension.
type operand[T any] struct {
	shape  []int
	labels []int
	data   []T
}

// plan resolves labels against the actual input ranks: ellipses expand to
// labels ellipsisBase.., right-aligned; the output list is completed for
// the implicit form; label sizes are checked (1 broadcasts).
type plan struct {
	inLabels [][]int
	out      []int
	size     map[int]int
}

func makePlan(eqs string, eq *einsumEq, shapes [][]int) (*plan, error) {
	p := &plan{size: map[int]int{}}
	ell := 0
	for i, t := range eq.terms {
		letters, hasEll := 0, false
		for _, l := range t {
			if l == -1 {
				hasEll = true
			} else {
				letters++
			}
		}
		r := len(shapes[i])
		if r < letters || (!hasEll && r != letters) {
			return nil, fmt.Errorf("Einsum %q: input %d has rank %d but its term has %d labels", eqs, i, r, letters)
		}
		if hasEll && r-letters > ell {
			ell = r - letters
		}
	}
	for i, t := range eq.terms {
		var ls []int
		r := len(shapes[i])
		letters := 0
		for _, l := range t {
			if l != -1 {
				letters++
			}
		}
		for _, l := range t {
			if l == -1 {
				e := r - letters
				for j := 0; j < e; j++ {
					ls = append(ls, ellipsisBase+ell-e+j)
				}
				continue
			}
			ls = append(ls, l)
		}
		for d, l := range ls {
			sz := shapes[i][d]
			if old, ok := p.size[l]; ok && old != sz {
				switch {
				case old == 1:
					p.size[l] = sz
				case sz == 1:
				default:
					return nil, fmt.Errorf("Einsum %q: label %s has size %d in input %d but %d elsewhere", eqs, labelName(l), sz, i, old)
				}
			} else if !ok {
				p.size[l] = sz
			}
		}
		p.inLabels = append(p.inLabels, ls)
	}
	if eq.explicit {
		for _, l := range eq.out {
			if l == -1 {
				for j := 0; j < ell; j++ {
					p.out = append(p.out, ellipsisBase+j)
				}
				continue
			}
			if _, ok := p.size[l]; !ok {
				return nil, fmt.Errorf("Einsum %q: output label %s does not appear in any input", eqs, labelName(l))
			}
			p.out = append(p.out, l)
		}
	} else {
		for j := 0; j < ell; j++ {
			p.out = append(p.out, ellipsisBase+j)
		}
		count := map[int]int{}
		for _, ls := range p.inLabels {
			for _, l := range ls {
				if l < ellipsisBase {
					count[l]++
				}
			}
		}
		var once []int
		for l, c := range count {
			if c == 1 {
				once = append(once, l)
			}
		}
		// ASCII order: upper case (labels 26..51) before lower case.
		sort.Slice(once, func(i, j int) bool { return asciiKey(once[i]) < asciiKey(once[j]) })
		p.out = append(p.out, once...)
	}
	return p, nil
}

func asciiKey(l int) int {
	if l < 26 {
		return 'a' + l
	}
	return 'A' + l - 26
}

func runEinsum(eqs string, eq *einsumEq, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	for i, t := range in {
		if t == nil {
			return nil, fmt.Errorf("Einsum: input %d is missing", i)
		}
	}
	if len(in) == 0 {
		return nil, fmt.Errorf("Einsum: needs at least one input")
	}
	if err := sameType("Einsum", in...); err != nil {
		return nil, err
	}
	dt := in[0].DType()
	if err := checkType("Einsum", dt, einsumTypes...); err != nil {
		return nil, err
	}
	shapes := make([][]int, len(in))
	for i, t := range in {
		shapes[i] = t.Shape()
	}
	p, err := makePlan(eqs, eq, shapes)
	if err != nil {
		return nil, err
	}
	switch {
	case viaF32(dt):
		ins := make([][]float32, len(in))
		for i, t := range in {
			if ins[i], err = asF32(t); err != nil {
				return nil, err
			}
		}
		shape, y, err := einsum(p, shapes, ins, func(threads, m, n, k int, a, b, c []float32) {
			linalg.SgemmN(threads, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		})
		if err != nil {
			return nil, err
		}
		t, err := fromF32(dt, shape, y)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{t}, nil
	case dt == tensor.Float64:
		return einsumT(p, shapes, in, func(threads, m, n, k int, a, b, c []float64) {
			linalg.DgemmN(threads, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		})
	case dt == tensor.Int8:
		return einsumInt[int8](p, shapes, in)
	case dt == tensor.Int16:
		return einsumInt[int16](p, shapes, in)
	case dt == tensor.Int32:
		return einsumInt[int32](p, shapes, in)
	case dt == tensor.Int64:
		return einsumInt[int64](p, shapes, in)
	case dt == tensor.Uint8:
		return einsumInt[uint8](p, shapes, in)
	case dt == tensor.Uint16:
		return einsumInt[uint16](p, shapes, in)
	case dt == tensor.Uint32:
		return einsumInt[uint32](p, shapes, in)
	case dt == tensor.Uint64:
		return einsumInt[uint64](p, shapes, in)
	}
	return nil, fmt.Errorf("Einsum: unsupported element type %v", dt)
}

func einsumInt[T ops.Integer](p *plan, shapes [][]int, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return einsumT(p, shapes, in, func(_, m, n, k int, a, b, c []T) {
		intGemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
	})
}

func einsumT[T ops.Number](p *plan, shapes [][]int, in []*tensor.Tensor, mm func(threads, m, n, k int, a, b, c []T)) ([]*tensor.Tensor, error) {
	ins := make([][]T, len(in))
	for i, t := range in {
		ins[i] = tensor.Data[T](t)
	}
	shape, y, err := einsum(p, shapes, ins, mm)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{tensor.New(shape, y)}, nil
}

// einsum evaluates the plan: diagonals first, then pairwise contractions
// left to right as batched matrix products, then a final reduction and
// transpose into the output order.
func einsum[T ops.Number](p *plan, shapes [][]int, ins [][]T, mm func(threads, m, n, k int, a, b, c []T)) ([]int, []T, error) {
	opsList := make([]*operand[T], len(ins))
	for i := range ins {
		o := &operand[T]{shape: shapes[i], labels: p.inLabels[i], data: ins[i]}
		o, err := diagonal(o)
		if err != nil {
			return nil, nil, err
		}
		opsList[i] = o
	}
	inOut := map[int]bool{}
	for _, l := range p.out {
		inOut[l] = true
	}
	// needed(i) is the labels used by the output or by operands after i.
	needed := func(i int) map[int]bool {
		m := map[int]bool{}
		for l := range inOut {
			m[l] = true
		}
		for j := i + 1; j < len(opsList); j++ {
			for _, l := range opsList[j].labels {
				m[l] = true
			}
		}
		return m
	}
	cur := opsList[0]
	for i := 1; i < len(opsList); i++ {
		var err error
		cur, err = contract(cur, opsList[i], needed(i), mm)
		if err != nil {
			return nil, nil, err
		}
	}
	// Sum what the output does not keep, then order as the output.
	var drop []int
	for d, l := range cur.labels {
		if !inOut[l] {
			drop = append(drop, d)
		}
	}
	cur, err := reduceAxes(cur, drop)
	if err != nil {
		return nil, nil, err
	}
	perm := make([]int, len(p.out))
	for i, l := range p.out {
		perm[i] = indexOf(cur.labels, l)
		if perm[i] < 0 {
			return nil, nil, fmt.Errorf("Einsum: internal error: label %s lost", labelName(l))
		}
	}
	cur = permute(cur, perm)
	return cur.shape, cur.data, nil
}

func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// gather copies src viewed with the given shape and element strides into a
// new contiguous slice.
func gather[T any](src []T, shape, strides []int) []T {
	n := ops.Product(shape)
	out := make([]T, n)
	if n == 0 {
		return out
	}
	rank := len(shape)
	if rank == 0 {
		out[0] = src[0]
		return out
	}
	idx := make([]int, rank)
	last := rank - 1
	inner, st := shape[last], strides[last]
	off := 0
	for o := 0; o < n; o += inner {
		p := off
		dst := out[o : o+inner]
		for j := range dst {
			dst[j] = src[p]
			p += st
		}
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			off += strides[d]
			if idx[d] < shape[d] {
				break
			}
			off -= strides[d] * shape[d]
			idx[d] = 0
		}
	}
	return out
}

// diagonal merges repeated labels of one operand (taking the diagonal).
func diagonal[T any](o *operand[T]) (*operand[T], error) {
	var uniq []int
	for _, l := range o.labels {
		if indexOf(uniq, l) < 0 {
			uniq = append(uniq, l)
		}
	}
	if len(uniq) == len(o.labels) {
		return o, nil
	}
	st := tensor.Strides(o.shape)
	shape := make([]int, len(uniq))
	strides := make([]int, len(uniq))
	for i := range shape {
		shape[i] = -1
	}
	for d, l := range o.labels {
		u := indexOf(uniq, l)
		if shape[u] >= 0 && shape[u] != o.shape[d] {
			return nil, fmt.Errorf("Einsum: repeated label %s has sizes %d and %d in one input", labelName(l), shape[u], o.shape[d])
		}
		shape[u] = o.shape[d]
		strides[u] += st[d]
	}
	return &operand[T]{shape: shape, labels: uniq, data: gather(o.data, shape, strides)}, nil
}

// permute reorders dimensions: new dim i is old dim perm[i].
func permute[T any](o *operand[T], perm []int) *operand[T] {
	identity := true
	for i, p := range perm {
		if p != i {
			identity = false
		}
	}
	if identity && len(perm) == len(o.shape) {
		return o
	}
	st := tensor.Strides(o.shape)
	shape := make([]int, len(perm))
	strides := make([]int, len(perm))
	labels := make([]int, len(perm))
	for i, p := range perm {
		shape[i], strides[i], labels[i] = o.shape[p], st[p], o.labels[p]
	}
	return &operand[T]{shape: shape, labels: labels, data: gather(o.data, shape, strides)}
}

// reduceAxes sums over the given dimensions, removing them.
func reduceAxes[T ops.Number](o *operand[T], axes []int) (*operand[T], error) {
	if len(axes) == 0 {
		return o, nil
	}
	var keep []int
	for d := range o.shape {
		if indexOf(axes, d) < 0 {
			keep = append(keep, d)
		}
	}
	p := permute(o, append(append([]int(nil), keep...), axes...))
	r := 1
	for _, a := range axes {
		r *= o.shape[a]
	}
	nk := len(keep)
	out := &operand[T]{shape: p.shape[:nk:nk], labels: p.labels[:nk:nk]}
	n := ops.Product(out.shape)
	out.data = make([]T, n)
	if r == 0 {
		return out, nil
	}
	for i := range out.data {
		var s T
		for _, v := range p.data[i*r : (i+1)*r] {
			s += v
		}
		out.data[i] = s
	}
	return out, nil
}

// contract multiplies two operands, summing labels they share that are not
// needed later, as one batched matrix product.
func contract[T ops.Number](a, b *operand[T], needed map[int]bool, mm func(threads, m, n, k int, a, b, c []T)) (*operand[T], error) {
	// Sum away labels private to one side and not needed later.
	var dropA, dropB []int
	for d, l := range a.labels {
		if !needed[l] && indexOf(b.labels, l) < 0 {
			dropA = append(dropA, d)
		}
	}
	for d, l := range b.labels {
		if !needed[l] && indexOf(a.labels, l) < 0 {
			dropB = append(dropB, d)
		}
	}
	var err error
	if a, err = reduceAxes(a, dropA); err != nil {
		return nil, err
	}
	if b, err = reduceAxes(b, dropB); err != nil {
		return nil, err
	}
	// A contracted label of size 1 on one side and n on the other: sum the
	// n side first; the label then disappears from both.
	for {
		changed := false
		for da, l := range a.labels {
			db := indexOf(b.labels, l)
			if db < 0 || needed[l] || a.shape[da] == b.shape[db] {
				continue
			}
			if a.shape[da] != 1 && b.shape[db] != 1 {
				return nil, fmt.Errorf("Einsum: label %s has sizes %d and %d", labelName(l), a.shape[da], b.shape[db])
			}
			if a, err = reduceAxes(a, []int{da}); err != nil {
				return nil, err
			}
			if b, err = reduceAxes(b, []int{db}); err != nil {
				return nil, err
			}
			changed = true
			break
		}
		if !changed {
			break
		}
	}
	var batch, aOnly, bOnly, con []int
	for _, l := range a.labels {
		if indexOf(b.labels, l) >= 0 {
			if needed[l] {
				batch = append(batch, l)
			} else {
				con = append(con, l)
			}
		} else {
			aOnly = append(aOnly, l)
		}
	}
	for _, l := range b.labels {
		if indexOf(a.labels, l) < 0 {
			bOnly = append(bOnly, l)
		}
	}
	permA := make([]int, 0, len(a.labels))
	for _, l := range batch {
		permA = append(permA, indexOf(a.labels, l))
	}
	for _, l := range aOnly {
		permA = append(permA, indexOf(a.labels, l))
	}
	for _, l := range con {
		permA = append(permA, indexOf(a.labels, l))
	}
	permB := make([]int, 0, len(b.labels))
	for _, l := range batch {
		permB = append(permB, indexOf(b.labels, l))
	}
	for _, l := range con {
		permB = append(permB, indexOf(b.labels, l))
	}
	for _, l := range bOnly {
		permB = append(permB, indexOf(b.labels, l))
	}
	a, b = permute(a, permA), permute(b, permB)
	nb := len(batch)
	m := ops.Product(a.shape[nb : nb+len(aOnly)])
	k := ops.Product(a.shape[nb+len(aOnly):])
	n := ops.Product(b.shape[nb+len(con):])
	s := &mmShape{m: m, n: n, k: k, batchA: a.shape[:nb], batchB: b.shape[:nb]}
	ob, err := ops.BroadcastShapes(s.batchA, s.batchB)
	if err != nil {
		return nil, fmt.Errorf("Einsum: batch dimensions %v and %v do not broadcast", s.batchA, s.batchB)
	}
	s.outBatch = ob
	outShape := append(append(append([]int(nil), ob...), a.shape[nb:nb+len(aOnly)]...), b.shape[nb+len(con):]...)
	total, err := tensor.NumElements(outShape)
	if err != nil {
		return nil, fmt.Errorf("Einsum: intermediate result: %w", err)
	}
	s.out = outShape
	y := make([]T, total)
	// batchedMatMul folds when B has no batch dims; with batch labels
	// present both sides carry them, so pass B's batch explicitly.
	if nb == 0 {
		mm(0, m, n, k, a.data, b.data, y)
	} else {
		batchedMatMul(s, a.data, b.data, y, mm)
	}
	labels := append(append(append([]int(nil), batch...), aOnly...), bOnly...)
	return &operand[T]{shape: outShape, labels: labels, data: y}, nil
}
