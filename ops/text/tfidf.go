package text

import (
	"encoding/binary"
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

type tfidfMode int

const (
	modeTF tfidfMode = iota
	modeIDF
	modeTFIDF
)

// tfidf is a built TfIdfVectorizer: the pool's n-grams indexed by length,
// each mapping an encoded n-gram to its position in the pool's n-gram list.
type tfidf struct {
	mode       tfidfMode
	minN, maxN int
	maxSkip    int
	strings    bool             // pool_strings (else pool_int64s)
	grams      []map[string]int // grams[n] for n-grams of length n (index 0 unused)
	indexes    []int            // output coordinate of each pool n-gram
	weights    []float32        // per pool n-gram; nil = all ones
	outDim     int
}

func buildTfIdf(n *ops.Node) (ops.Kernel, error) {
	const op = "TfIdfVectorizer"
	modeS, err := n.AttrString("mode", "")
	if err != nil {
		return nil, err
	}
	k := &tfidf{}
	switch modeS {
	case "TF":
		k.mode = modeTF
	case "IDF":
		k.mode = modeIDF
	case "TFIDF":
		k.mode = modeTFIDF
	default:
		return nil, fmt.Errorf("%s: mode must be TF, IDF or TFIDF, got %q", op, modeS)
	}
	minN, err := n.AttrInt("min_gram_length", 0)
	if err != nil {
		return nil, err
	}
	maxN, err := n.AttrInt("max_gram_length", 0)
	if err != nil {
		return nil, err
	}
	maxSkip, err := n.AttrInt("max_skip_count", 0)
	if err != nil {
		return nil, err
	}
	if minN < 1 || maxN < minN {
		return nil, fmt.Errorf("%s: need 1 <= min_gram_length <= max_gram_length, got min %d, max %d", op, minN, maxN)
	}
	if maxSkip < 0 {
		return nil, fmt.Errorf("%s: max_skip_count must be >= 0, got %d", op, maxSkip)
	}
	counts, err := n.AttrInts("ngram_counts", nil)
	if err != nil {
		return nil, err
	}
	idx, err := n.AttrInts("ngram_indexes", nil)
	if err != nil {
		return nil, err
	}
	ws, err := n.AttrFloats("weights", nil)
	if err != nil {
		return nil, err
	}
	pInts, err := n.AttrInts("pool_int64s", nil)
	if err != nil {
		return nil, err
	}
	pStrs, err := n.AttrStrings("pool_strings", nil)
	if err != nil {
		return nil, err
	}
	hasInts, hasStrs := n.HasAttr("pool_int64s"), n.HasAttr("pool_strings")
	if hasInts == hasStrs {
		return nil, fmt.Errorf("%s: exactly one of pool_int64s and pool_strings must be set", op)
	}
	k.strings = hasStrs
	poolLen := len(pInts)
	if hasStrs {
		poolLen = len(pStrs)
	}
	// Encoded pool items: 8 bytes per int64, or length-prefixed strings.
	item := func(i int) []byte {
		if hasStrs {
			return appendStringItem(nil, pStrs[i])
		}
		return binary.LittleEndian.AppendUint64(nil, uint64(pInts[i]))
	}
	if len(counts) == 0 {
		return nil, fmt.Errorf("%s: ngram_counts is required", op)
	}
	if maxN > int64(len(counts)) {
		// Lengths past the listed ones have no pool entries; they can
		// never match, so cap the scan.
		maxN = int64(len(counts))
	}
	k.minN, k.maxN, k.maxSkip = int(minN), int(maxN), int(min(maxSkip, int64(1<<30)))
	k.grams = make([]map[string]int, len(counts)+1)
	gram := 0
	for g, start := range counts {
		end := int64(poolLen)
		if g+1 < len(counts) {
			end = counts[g+1]
		}
		if start < 0 || start > end || end > int64(poolLen) {
			return nil, fmt.Errorf("%s: ngram_counts %v must be non-decreasing offsets within the pool of %d items", op, counts, poolLen)
		}
		size := int64(g + 1)
		if (end-start)%size != 0 {
			return nil, fmt.Errorf("%s: pool items %d..%d do not divide into %d-grams", op, start, end, size)
		}
		m := make(map[string]int)
		for p := start; p < end; p += size {
			var key []byte
			for q := p; q < p+size; q++ {
				key = append(key, item(int(q))...)
			}
			if _, dup := m[string(key)]; !dup {
				m[string(key)] = gram
			}
			gram++
		}
		k.grams[g+1] = m
	}
	if len(idx) != gram {
		return nil, fmt.Errorf("%s: ngram_indexes has %d entries, the pool holds %d n-grams", op, len(idx), gram)
	}
	if len(ws) != 0 && len(ws) != gram {
		return nil, fmt.Errorf("%s: weights has %d entries, the pool holds %d n-grams", op, len(ws), gram)
	}
	k.indexes = make([]int, len(idx))
	for i, v := range idx {
		if v < 0 || v >= tensor.MaxElements {
			return nil, fmt.Errorf("%s: ngram_indexes[%d] = %d is out of range", op, i, v)
		}
		k.indexes[i] = int(v)
		k.outDim = max(k.outDim, int(v)+1)
	}
	if len(ws) != 0 {
		k.weights = ws
	}
	return ops.Tensors(k.run), nil
}

func appendStringItem(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func (k *tfidf) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	const op = "TfIdfVectorizer"
	x := ops.Input(in, 0)
	if x == nil {
		return nil, fmt.Errorf("%s: input X is required", op)
	}
	var items [][]byte // encoded elements of X
	switch x.DType() {
	case tensor.String:
		if !k.strings {
			return nil, fmt.Errorf("%s: X is a string tensor but the node has pool_int64s", op)
		}
		for _, s := range tensor.Data[string](x) {
			items = append(items, appendStringItem(nil, s))
		}
	case tensor.Int32, tensor.Int64:
		if k.strings {
			return nil, fmt.Errorf("%s: X is %v but the node has pool_strings", op, x.DType())
		}
		for _, v := range x.Int64s() {
			items = append(items, binary.LittleEndian.AppendUint64(nil, uint64(v)))
		}
	default:
		return nil, fmt.Errorf("%s: X must be string, int32 or int64, got %v", op, x.DType())
	}
	var rows, cols int
	var oshape []int
	switch x.Rank() {
	case 1:
		rows, cols = 1, x.Shape()[0]
		oshape = []int{k.outDim}
	case 2:
		rows, cols = x.Shape()[0], x.Shape()[1]
		oshape = []int{rows, k.outDim}
	default:
		return nil, fmt.Errorf("%s: X must be 1-D [C] or 2-D [N, C], got shape %v", op, x.Shape())
	}
	total, err := tensor.NumElements(oshape)
	if err != nil {
		return nil, fmt.Errorf("%s: output: %w", op, err)
	}
	y := make([]float32, total)
	counts := make([]float32, len(k.indexes))
	var key []byte
	for r := 0; r < rows; r++ {
		clear(counts)
		row := items[r*cols : (r+1)*cols]
		for start := range row {
			// Unigrams do not depend on the skip: count them once.
			if k.minN <= 1 && k.grams[1] != nil {
				if g, ok := k.grams[1][string(row[start])]; ok {
					counts[g]++
				}
			}
			if k.maxN < 2 {
				continue
			}
			for skip := 0; skip <= k.maxSkip; skip++ {
				step := skip + 1
				if start+step >= cols {
					break
				}
				key = append(key[:0], row[start]...)
				for n, pos := 2, start+step; n <= k.maxN && pos < cols; n, pos = n+1, pos+step {
					key = append(key, row[pos]...)
					if n < k.minN || k.grams[n] == nil {
						continue
					}
					if g, ok := k.grams[n][string(key)]; ok {
						counts[g]++
					}
				}
			}
		}
		out := y[r*k.outDim : (r+1)*k.outDim]
		for g, c := range counts {
			if c == 0 {
				continue
			}
			w := float32(1)
			if k.weights != nil {
				w = k.weights[g]
			}
			switch k.mode {
			case modeTF:
				out[k.indexes[g]] += c
			case modeIDF:
				out[k.indexes[g]] += w
			case modeTFIDF:
				out[k.indexes[g]] += c * w
			}
		}
	}
	return []*tensor.Tensor{tensor.New(oshape, y)}, nil
}
