package rest

import (
	"errors"
	"fmt"
)

// dataParser walks the JSON of one tensor's data: a scalar, a flat array
// or arrays nested to the tensor's shape. It hands every leaf to a sink,
// so a million numbers cost a million strconv calls and no allocations.
// It validates the JSON it reads itself and never trusts its input.
type dataParser struct {
	jsonCursor
	sink sink
}

// maxDataRank bounds the parser's recursion on its own; requests are also
// depth-checked (Options.MaxJSONDepth) before their data is parsed.
const maxDataRank = 1000

// parseShaped decodes raw into s, which must end up with exactly n
// elements (n = product(shape)). The data may be flat or nested; nested
// data must agree with shape at every level.
func parseShaped(raw []byte, shape []int, n int, s sink) error {
	p := &dataParser{jsonCursor: jsonCursor{b: raw}, sink: s}
	p.skipSpace()
	switch {
	case p.done():
		return errors.New("data is empty")
	case p.b[p.pos] != '[':
		// A bare value is accepted for a single-element tensor.
		if n != 1 {
			return fmt.Errorf("data is a single value but shape %v needs %d elements", shape, n)
		}
		if err := p.leaf(); err != nil {
			return err
		}
	case p.firstIsArray():
		if err := p.nested(shape, 0); err != nil {
			return err
		}
	default:
		if err := p.flat(shape, n); err != nil {
			return err
		}
	}
	if err := p.dataEnd(); err != nil {
		return err
	}
	if got := s.len(); got != n {
		return fmt.Errorf("data has %d elements but shape %v needs %d", got, shape, n)
	}
	return nil
}

// parseLearned decodes raw, taking the shape from its nesting, which must
// be rectangular. At most max elements are accepted.
func parseLearned(raw []byte, max int, s sink) ([]int, error) {
	p := &dataParser{jsonCursor: jsonCursor{b: raw}, sink: s}
	p.skipSpace()
	if p.done() {
		return nil, errors.New("data is empty")
	}
	if p.b[p.pos] != '[' {
		if max < 1 {
			return nil, errTooMany{max}
		}
		if err := p.leaf(); err != nil {
			return nil, err
		}
		return []int{}, p.dataEnd()
	}
	l := &learner{rank: -1, max: max}
	if err := p.learn(l, 0); err != nil {
		return nil, err
	}
	return l.dims, p.dataEnd()
}

// flat reads [v, v, ...] with at most n values.
func (p *dataParser) flat(shape []int, n int) error {
	count := 0
	return p.array(func() error {
		if p.b[p.pos] == '[' {
			return errors.New("data mixes nested arrays and values")
		}
		if count == n {
			return fmt.Errorf("data has more than the %d elements shape %v needs", n, shape)
		}
		count++
		return p.leaf()
	})
}

// nested reads the array for dimension level of shape.
func (p *dataParser) nested(shape []int, level int) error {
	if level >= len(shape) {
		return fmt.Errorf("data is nested deeper than shape %v", shape)
	}
	if level >= maxDataRank {
		return tooDeepError{maxDataRank}
	}
	if p.done() || p.b[p.pos] != '[' {
		return fmt.Errorf("data nesting does not match shape %v: expected an array at depth %d", shape, level+1)
	}
	leafLevel := level == len(shape)-1
	count := 0
	err := p.array(func() error {
		if count == shape[level] {
			return fmt.Errorf("data has more than %d entries at depth %d; shape is %v", shape[level], level+1, shape)
		}
		count++
		if leafLevel {
			if p.b[p.pos] == '[' {
				return fmt.Errorf("data is nested deeper than shape %v", shape)
			}
			return p.leaf()
		}
		return p.nested(shape, level+1)
	})
	if err != nil {
		return err
	}
	if count != shape[level] {
		return fmt.Errorf("data has %d entries at depth %d but shape %v needs %d", count, level+1, shape, shape[level])
	}
	return nil
}

// learner collects the dimensions of nested data as the parser meets them.
type learner struct {
	dims []int // -1 until the first array at that depth closes
	rank int   // -1 until the first leaf or empty array
	max  int
}

func (p *dataParser) learn(l *learner, level int) error {
	if level >= maxDataRank {
		return tooDeepError{maxDataRank}
	}
	if level == len(l.dims) {
		l.dims = append(l.dims, -1)
	}
	count := 0
	err := p.array(func() error {
		count++
		if p.b[p.pos] == '[' {
			if l.rank >= 0 && level+1 >= l.rank {
				return errors.New("data is not rectangular: arrays and values at the same depth")
			}
			return p.learn(l, level+1)
		}
		if l.rank < 0 {
			l.rank = level + 1
		} else if l.rank != level+1 {
			return errors.New("data is not rectangular: arrays and values at the same depth")
		}
		if p.sink.len() >= l.max {
			return errTooMany{l.max}
		}
		return p.leaf()
	})
	if err != nil {
		return err
	}
	if count == 0 {
		if l.rank < 0 {
			l.rank = level + 1
		} else if l.rank != level+1 {
			return errors.New("data is not rectangular: an empty array where others have entries")
		}
	}
	if l.dims[level] < 0 {
		l.dims[level] = count
	} else if l.dims[level] != count {
		return fmt.Errorf("data is not rectangular: arrays of length %d and %d at depth %d", l.dims[level], count, level+1)
	}
	return nil
}

// leaf reads one scalar and gives it to the sink.
func (p *dataParser) leaf() error {
	index := p.sink.len()
	err := p.scalar()
	if err != nil {
		return fmt.Errorf("element %d: %w", index, err)
	}
	return nil
}

func (p *dataParser) scalar() error {
	switch c := p.b[p.pos]; {
	case c == '-' || (c >= '0' && c <= '9'):
		lit, err := p.numberLiteral()
		if err != nil {
			return err
		}
		return p.sink.number(lit)
	case c == '"':
		s, err := p.stringValue()
		if err != nil {
			return err
		}
		return p.sink.text(s)
	case p.literal("true"):
		return p.sink.boolean(true)
	case p.literal("false"):
		return p.sink.boolean(false)
	case p.literal("null"):
		return errors.New("null is not a tensor element")
	case c == '{':
		return errors.New("an object is not a tensor element")
	case c == '[':
		return errors.New("unexpected nested array")
	}
	return p.unexpected("a value")
}

// firstIsArray reports whether the array at pos starts with an array.
func (p *dataParser) firstIsArray() bool {
	for i := p.pos + 1; i < len(p.b); i++ {
		switch p.b[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case '[':
			return true
		}
		return false
	}
	return false
}

func (p *dataParser) dataEnd() error {
	p.skipSpace()
	if !p.done() {
		return p.unexpected("the end of the data")
	}
	return nil
}

// errTooMany stops data with more elements than the request may have.
type errTooMany struct{ max int }

func (e errTooMany) Error() string {
	return fmt.Sprintf("data has more than the limit of %d tensor elements per request", e.max)
}
