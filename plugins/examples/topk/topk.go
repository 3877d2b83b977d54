package main

import (
	"fmt"
	"math"
)

// topK returns, for each of rows rows of classes values, the indices of the
// k largest values, largest first (ties: lower index first), and their
// scores: softmax probabilities over the whole row, or the raw values.
func topK(vals []float32, rows, classes, k int, softmax bool) ([][]int, [][]float32, error) {
	if classes <= 0 || rows < 0 || len(vals) != rows*classes {
		return nil, nil, fmt.Errorf("%d values for %d rows of %d classes", len(vals), rows, classes)
	}
	k = min(k, classes)
	idx := make([][]int, rows)
	scores := make([][]float32, rows)
	for r := range rows {
		row := vals[r*classes : (r+1)*classes]
		for i, v := range row {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, nil, fmt.Errorf("row %d, class %d: the value is %v", r, i, v)
			}
		}
		idx[r] = largest(row, k)
		scores[r] = make([]float32, k)
		if !softmax {
			for j, i := range idx[r] {
				scores[r][j] = row[i]
			}
			continue
		}
		// Shifting by the row's maximum keeps exp from overflowing.
		hi := float64(row[idx[r][0]])
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(float64(v) - hi)
		}
		for j, i := range idx[r] {
			scores[r][j] = float32(math.Exp(float64(row[i])-hi) / sum)
		}
	}
	return idx, scores, nil
}

// largest returns the indices of the k largest values of row, in order. An
// insertion into a k-long list: k is small (5) and rows are short (1000).
func largest(row []float32, k int) []int {
	top := make([]int, 0, k)
	for i, v := range row {
		if len(top) == k && v <= row[top[k-1]] {
			continue
		}
		// Find the first kept index with a smaller value: equal values keep
		// their index order.
		at := len(top)
		for at > 0 && row[top[at-1]] < v {
			at--
		}
		if len(top) < k {
			top = append(top, 0)
		}
		copy(top[at+1:], top[at:len(top)-1])
		top[at] = i
	}
	return top
}
