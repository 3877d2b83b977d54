package conv

import "sync"

// Scratch buffers (im2col columns, padded depthwise planes) are recycled
// across calls: a fresh make would clear memory the kernels are about to
// overwrite and make garbage on every run.
var scratchPool sync.Pool // of *[]float32

// getScratch returns a float32 buffer of n elements with unspecified
// contents; give it back with putScratch when done.
func getScratch(n int) *[]float32 {
	if p, ok := scratchPool.Get().(*[]float32); ok {
		if cap(*p) >= n {
			*p = (*p)[:n]
			return p
		}
		// Too small: let it go and make one that fits.
	}
	b := make([]float32, n)
	return &b
}

// putScratch returns a buffer from getScratch. Very large buffers are left
// to the garbage collector.
func putScratch(p *[]float32) {
	if p == nil || cap(*p) > 1<<24 {
		return
	}
	scratchPool.Put(p)
}
