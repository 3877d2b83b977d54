// Package reduce holds reductions, arg-reductions, TopK, CumSum and the
// loss operators.
package reduce
