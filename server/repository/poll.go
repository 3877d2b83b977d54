package repository

import (
	"time"
)

// pollLoop rescans the repository every PollInterval until Close.
func (r *Repository) pollLoop() {
	defer r.ops.Done()
	t := time.NewTicker(r.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-r.base.Done():
			return
		case <-t.C:
			r.pollOnce()
		}
	}
}

// pollOnce starts a reconcile for every model whose previous work has
// finished; a model still loading is looked at again on the next tick, so
// one slow load does not hold up the others.
func (r *Repository) pollOnce() {
	scans, err := r.src.scanAll()
	r.mu.Lock()
	if err != nil {
		// A transient read error must not look like every model was deleted.
		if msg := err.Error(); msg != r.lastScanErr {
			r.lastScanErr = msg
			r.log.Error("polling the model repository failed", "error", err)
		}
		r.mu.Unlock()
		return
	}
	r.lastScanErr = ""
	type work struct {
		m    *model
		scan *modelScan // nil: the model is gone
	}
	var todo []work
	for name, scan := range scans {
		m := r.models[name]
		if m == nil {
			m = &model{name: name, op: make(chan struct{}, 1), versions: map[int64]*versionRow{}, wanted: true, reason: "loading"}
			r.models[name] = m
			r.log.Info("new model found", "model", name)
		}
		// Back before its old versions finished closing: keep the entry,
		// or it would be forgotten under the reconcile about to run.
		m.removed = false
		todo = append(todo, work{m, scan})
	}
	for name, m := range r.models {
		if scans[name] == nil && !m.removed {
			todo = append(todo, work{m, nil})
		}
	}
	r.mu.Unlock()

	for _, w := range todo {
		if !r.tryLockModel(w.m) {
			continue
		}
		if !r.beginOp() {
			r.unlockModel(w.m)
			return
		}
		go func() {
			defer r.ops.Done()
			defer r.unlockModel(w.m)
			if w.scan == nil {
				r.log.Info("model removed from the repository", "model", w.m.name)
				r.mu.Lock()
				r.removeModelLocked(w.m)
				r.mu.Unlock()
				return
			}
			_ = r.reconcile(r.base, w.m, w.scan, false) // failures are in the index and the log
		}()
	}
}
