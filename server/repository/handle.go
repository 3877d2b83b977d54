package repository

import (
	"sync/atomic"
)

// instance is one loaded servable. Its refcount starts at 1 for the
// repository; each Handle adds one. When the repository retires it and the
// last handle is released, drained closes and the servable may be closed.
type instance struct {
	spec     Spec
	servable Servable
	refs     atomic.Int64
	drained  chan struct{}
	// closed is closed once Servable.Close returned; closeErr is its result.
	closed   chan struct{}
	closeErr error
}

func newInstance(spec Spec, s Servable) *instance {
	in := &instance{spec: spec, servable: s, drained: make(chan struct{}), closed: make(chan struct{})}
	in.refs.Store(1)
	return in
}

func (in *instance) release() {
	if in.refs.Add(-1) == 0 {
		close(in.drained)
	}
}

// Handle is a servable acquired for one request. Release it when the
// request is done; until then the servable stays open even if a newer
// version replaced it.
type Handle struct {
	Name     string
	Version  int64
	Config   ModelConfig
	Servable Servable

	inst     *instance
	released atomic.Bool
}

// Release gives the handle back. It is safe to call more than once.
func (h *Handle) Release() {
	if h == nil || h.inst == nil {
		return
	}
	if h.released.CompareAndSwap(false, true) {
		h.inst.release()
	}
}
