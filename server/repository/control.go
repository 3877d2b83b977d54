package repository

import (
	"context"
	"errors"

	"github.com/gonyx/gonyx/server/infer"
)

// controlAllowed refuses Load and Unload in ModeNone.
func (r *Repository) controlAllowed() error {
	if r.opts.Mode == ModeNone {
		return infer.Errorf(infer.Unavailable, "model control mode is none; loading and unloading models needs mode poll or explicit")
	}
	return nil
}

// Load (re)loads a model from the source now: new or changed versions are
// loaded and swapped in, and versions whose last load failed are retried
// even if their files did not change. Versions already serving unchanged
// files are kept. In ModePoll it also undoes an Unload.
func (r *Repository) Load(ctx context.Context, name string) error {
	if err := r.controlAllowed(); err != nil {
		return err
	}
	if !r.beginOp() {
		return errClosed()
	}
	defer r.ops.Done()
	ctx, stop := r.withBase(ctx)
	defer stop()

	scan, found, err := r.src.scanOne(name)
	if err != nil {
		r.log.Error("reading the model repository failed", "model", name, "error", err)
		return infer.Errorf(infer.Unavailable, "reading model %q from the repository failed: %s", name, r.scrub.Replace(err.Error()))
	}
	m := r.modelFor(name, found)
	if m == nil {
		return notFound(name)
	}
	if err := r.lockModel(ctx, m); err != nil {
		return waitError(err, r.base)
	}
	defer r.unlockModel(m)
	// Read again under the model's lock: another Load may have changed
	// the files' fate while this one waited.
	scan, found, err = r.src.scanOne(name)
	if err != nil {
		return infer.Errorf(infer.Unavailable, "reading model %q from the repository failed: %s", name, r.scrub.Replace(err.Error()))
	}
	if !found {
		r.mu.Lock()
		r.removeModelLocked(m) // its versions close once their handles are released
		r.mu.Unlock()
		return notFound(name)
	}
	r.mu.Lock()
	m.wanted = true
	r.mu.Unlock()
	err = r.reconcile(ctx, m, scan, true)
	if err != nil && ctx.Err() != nil {
		return waitError(ctx.Err(), r.base)
	}
	return err
}

// modelFor finds the model, creating its entry when the source has it.
func (r *Repository) modelFor(name string, inSource bool) *model {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.models[name]
	switch {
	case m == nil && inSource:
		m = &model{name: name, op: make(chan struct{}, 1), versions: map[int64]*versionRow{}, reason: "loading"}
		r.models[name] = m
	case m != nil && inSource:
		m.removed = false // see pollOnce
	}
	return m
}

// Unload takes every version of a model out of service and waits (within
// ctx) until each has closed, which happens when its in-flight requests
// have released their handles. The model stays unloaded, also in
// ModePoll, until Load.
func (r *Repository) Unload(ctx context.Context, name string) error {
	if err := r.controlAllowed(); err != nil {
		return err
	}
	if !r.beginOp() {
		return errClosed()
	}
	defer r.ops.Done()
	ctx, stop := r.withBase(ctx)
	defer stop()

	r.mu.RLock()
	m := r.models[name]
	known := m != nil && !m.removed
	r.mu.RUnlock()
	if !known {
		return notFound(name)
	}
	if err := r.lockModel(ctx, m); err != nil {
		return waitError(err, r.base)
	}
	r.mu.Lock()
	m.wanted = false
	m.reason = "unloaded"
	var closing []*instance
	for _, n := range sortedKeys(m.versions) {
		if in := r.retireVersionLocked(m, m.versions[n]); in != nil {
			closing = append(closing, in)
		}
	}
	r.mu.Unlock()
	r.unlockModel(m)

	for _, in := range closing {
		select {
		case <-in.closed:
		case <-ctx.Done():
			return waitError(ctx.Err(), r.base)
		}
	}
	return nil
}

func notFound(name string) error {
	return infer.Errorf(infer.NotFound, "model %q not found in the repository", name)
}

func errClosed() error {
	return infer.Errorf(infer.Unavailable, "the model repository is shut down")
}

// waitError reports a wait cut short: by Close, or by the caller's context.
func waitError(err error, base context.Context) error {
	if base.Err() != nil {
		return errClosed()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return infer.Wrap(infer.DeadlineExceeded, err, "waiting for the model timed out")
	}
	return infer.Wrap(infer.Canceled, err, "request canceled")
}
