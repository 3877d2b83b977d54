package repository

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gonyx/gonyx/server/infer"
)

// reconcile brings model m in line with what the source holds: it loads
// wanted versions that are new, changed or (with force) failed before,
// swaps each in once loaded, and retires versions that left the policy or
// the disk. The caller holds m.op. It returns an *infer.Error describing
// what failed (nil when everything wanted is serving).
func (r *Repository) reconcile(ctx context.Context, m *model, scan *modelScan, force bool) error {
	r.mu.Lock()
	if r.models[m.name] != m { // forgotten meanwhile; loading into it would leak
		r.mu.Unlock()
		return notFound(m.name)
	}
	if !m.wanted {
		r.mu.Unlock()
		return nil
	}
	m.removed = false
	var wanted []int64
	var jobs []Spec
	modelErr := ""
	if scan.err != nil {
		modelErr = r.scrub.Replace(scan.err.Error())
	} else {
		wanted = selectVersions(scan.cfg.VersionPolicy, scan.available())
		if len(wanted) == 0 {
			modelErr = fmt.Sprintf("no version on disk matches the version policy %s (on disk: %v)",
				scan.cfg.VersionPolicy, sortedKeys(scan.versions))
		}
	}
	if modelErr != m.reason && modelErr != "" {
		r.log.Warn("model not loadable", "model", m.name, "reason", modelErr)
	}
	m.reason = modelErr
	for _, n := range wanted {
		file := scan.versions[n]
		e := m.versions[n]
		if e != nil && e.inst != nil && e.inst.spec.Digest == file.digest {
			e.reason, e.failedDigest = "", "" // serving these very files
			continue
		}
		if e != nil && e.state != infer.StateUnloading && !force && e.failedDigest == file.digest {
			continue // failed with these files; wait for them to change
		}
		if e == nil || e.state == infer.StateUnloading {
			e = &versionRow{n: n}
			m.versions[n] = e
		}
		if e.inst == nil {
			e.state, e.reason = infer.StateLoading, ""
		}
		jobs = append(jobs, Spec{Name: m.name, Version: n, Path: file.path, FS: scan.fsys, Config: scan.cfg, Digest: file.digest})
	}
	r.mu.Unlock()

	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, spec := range jobs {
		wg.Go(func() { errs[i] = r.loadVersion(ctx, m, spec) })
	}
	wg.Wait()

	r.mu.Lock()
	r.retireLeftoversLocked(m, scan, wanted)
	r.mu.Unlock()

	var msgs []string
	if modelErr != "" {
		msgs = append(msgs, modelErr)
	}
	for i, err := range errs {
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("version %d: %s", jobs[i].Version, err))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return infer.Errorf(infer.Unavailable, "loading model %q failed: %s", m.name, strings.Join(msgs, "; "))
}

// retireLeftoversLocked retires versions whose folder is gone at once, and
// versions outside the policy once every wanted version serves (until then
// they keep serving in place of the failed or loading ones). With a broken
// config the policy is unknown, so serving versions stay, marked.
func (r *Repository) retireLeftoversLocked(m *model, scan *modelScan, wanted []int64) {
	allServing := true
	for _, n := range wanted {
		if e := m.versions[n]; e == nil || e.inst == nil {
			allServing = false
		}
	}
	for _, n := range sortedKeys(m.versions) {
		e := m.versions[n]
		if e.state == infer.StateUnloading {
			continue
		}
		_, onDisk := scan.versions[n]
		switch {
		case !onDisk:
			r.retireVersionLocked(m, e)
		case m.reason != "" && e.inst != nil:
			e.reason = "reload failed: " + m.reason
		case slices.Contains(wanted, n):
		case allServing || e.inst == nil:
			r.retireVersionLocked(m, e)
		}
	}
}

// loadVersion opens one version and swaps it in, or records the failure.
// The caller holds m.op, so the version's row is the one reconcile set.
func (r *Repository) loadVersion(ctx context.Context, m *model, spec Spec) error {
	start := time.Now()
	s, err := r.open(ctx, spec)
	d := time.Since(start)
	if r.opts.OnLoad != nil {
		r.opts.OnLoad(spec.Name, spec.Version, d, err)
	}
	msg := ""
	if err != nil {
		msg = r.scrub.Replace(err.Error())
		r.log.Error("model load failed", "model", spec.Name, "version", spec.Version, "duration", d, "error", err)
	} else {
		r.log.Info("model loaded", "model", spec.Name, "version", spec.Version, "duration", d)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	e := m.versions[spec.Version]
	if e == nil { // cannot happen while m.op is held; never leak a servable
		if s != nil {
			r.retireInstance(newInstance(spec, s), nil)
		}
		return errors.New("version vanished during load")
	}
	if err != nil {
		// A load interrupted by the caller or by Close says nothing about
		// the files, so a later poll may try them again.
		if ctx.Err() == nil {
			e.failedDigest = spec.Digest
		}
		if e.inst != nil {
			e.reason = "reload failed: " + msg
		} else {
			e.state, e.reason = infer.StateUnavailable, msg
		}
		return errors.New(msg)
	}
	old := e.inst
	e.inst = newInstance(spec, s)
	e.state, e.reason, e.failedDigest = infer.StateReady, "", ""
	if old != nil {
		r.retireInstance(old, nil)
	}
	return nil
}

// open calls the Opener in a load slot, turning a panic or a nil servable
// into an error: a bad model file must not take the server down.
func (r *Repository) open(ctx context.Context, spec Spec) (s Servable, err error) {
	select {
	case r.loadSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("load canceled before it started: %w", ctx.Err())
	}
	defer func() { <-r.loadSlots }()
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("loading panicked: %v", p)
		}
	}()
	s, err = r.opts.Open(ctx, spec)
	if err == nil && s == nil {
		err = errors.New("the loader returned no model")
	}
	if err != nil && s != nil {
		_ = safeClose(s)
		s = nil
	}
	return s, err
}

// retireVersionLocked takes a version out of service: Acquire stops
// finding it at once, the row shows UNLOADING until its servable has
// closed, then disappears. It returns the closing instance, or nil when
// the version was not serving (its row is dropped right away). Retiring
// an UNLOADING version again returns the instance it is waiting for.
func (r *Repository) retireVersionLocked(m *model, e *versionRow) *instance {
	if e.state == infer.StateUnloading {
		return e.closing // already on its way out
	}
	in := e.inst
	e.inst = nil
	if in == nil {
		if m.versions[e.n] == e {
			delete(m.versions, e.n)
		}
		r.forgetIfDoneLocked(m)
		return nil
	}
	e.state, e.reason, e.closing = infer.StateUnloading, "", in
	r.retireInstance(in, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if m.versions[e.n] == e && e.state == infer.StateUnloading {
			delete(m.versions, e.n)
		}
		r.forgetIfDoneLocked(m)
	})
	return in
}

// retireInstance drops the repository's reference and, in the background,
// waits for the last handle before closing the servable. It never blocks,
// so callers may hold r.mu.
func (r *Repository) retireInstance(in *instance, after func()) {
	r.retiring.Add(1)
	go func() {
		defer r.retiring.Done()
		in.release()
		<-in.drained
		in.closeErr = safeClose(in.servable)
		if in.closeErr != nil {
			r.log.Error("closing model failed", "model", in.spec.Name, "version", in.spec.Version, "error", in.closeErr)
		} else {
			r.log.Info("model unloaded", "model", in.spec.Name, "version", in.spec.Version)
		}
		if after != nil {
			after()
		}
		close(in.closed)
	}()
}

func safeClose(s Servable) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("close panicked: %v", p)
		}
	}()
	return s.Close()
}

// forgetIfDoneLocked drops a removed model once its last version closed.
func (r *Repository) forgetIfDoneLocked(m *model) {
	if m.removed && len(m.versions) == 0 && r.models[m.name] == m {
		delete(r.models, m.name)
	}
}

// removeModelLocked handles a model folder that disappeared: every version
// is retired and the model is forgotten once they have closed.
func (r *Repository) removeModelLocked(m *model) {
	m.removed = true
	m.reason = "removed from the repository"
	for _, n := range sortedKeys(m.versions) {
		r.retireVersionLocked(m, m.versions[n])
	}
	r.forgetIfDoneLocked(m)
}
