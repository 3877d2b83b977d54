package plugins

import (
	"context"
	"fmt"
	"time"

	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/server/infer"
)

// Process runs the plugin on one message. It takes an instance from the
// pool (waiting while all are busy, as long as ctx allows), copies the
// encoded message in, calls gonyx_process under the earlier of ctx's
// deadline and the plugin's Timeout, checks and copies the result out.
// Errors are *infer.Error:
//   - the guest reported an error: InvalidArgument "plugin <name>: <message>";
//   - the deadline passed: DeadlineExceeded (untrusted plugins are stopped
//     at the deadline; trusted ones fail when they return late);
//   - anything else (trap, memory cap, bad pointer, oversized or undecodable
//     output, a host function's failure): Internal "plugin <name> failed: …",
//     and the instance is replaced, so the next call starts afresh.
func (p *Plugin) Process(ctx context.Context, in abi.Message) (abi.Message, error) {
	return p.ProcessInto(ctx, in, nil)
}

// ProcessInto is Process, but an output tensor whose name, dtype and shape
// match a tensor of reuse is written into that tensor (abi.DecodeReusing)
// instead of a new one, as Model.RunInto does for a model's outputs: a
// caller that hands back the previous call's tensors allocates nothing for
// them. reuse is written only while ProcessInto runs, even when an
// untrusted call is abandoned; on error its tensors may hold anything.
func (p *Plugin) ProcessInto(ctx context.Context, in, reuse abi.Message) (abi.Message, error) {
	if p.closing.Load() {
		return nil, infer.Errorf(infer.Unavailable, "plugin %s is closed", p.name)
	}
	size, err := abi.EncodedLen(in)
	if err != nil {
		return nil, infer.Errorf(infer.InvalidArgument, "plugin %s: cannot encode the input: %v", p.name, err)
	}
	if size >= p.cfg.memoryLimitBytes() {
		return nil, infer.Errorf(infer.TooLarge, "plugin %s: a %d-byte input does not fit its %d MiB memory",
			p.name, size, p.cfg.MemoryLimitMiB)
	}
	// The message is encoded straight into the guest's memory.
	x := &exchange{in: in, size: size, reuse: reuse}
	var inst *instance
	select {
	case inst = <-p.slots:
	case <-ctx.Done():
		return nil, p.processError(fmt.Errorf("waiting for a free instance: %w", ctx.Err()), p.budget(ctx))
	}
	if p.closing.Load() {
		p.slots <- inst
		return nil, infer.Errorf(infer.Unavailable, "plugin %s is closed", p.name)
	}
	if inst == nil {
		// A new instance gets a Timeout of its own: starting the Go runtime
		// and gonyx_init are not the call's work.
		if inst, err = p.start(ctx); err != nil {
			p.slots <- nil
			return nil, err
		}
	}
	budget := p.budget(ctx)
	if err := ctx.Err(); err != nil || budget <= 0 {
		// Calling would only get the instance closed by wazero.
		if err == nil {
			err = context.DeadlineExceeded
		}
		p.slots <- inst
		return nil, p.processError(err, budget)
	}
	callCtx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	if p.cfg.Trusted {
		r := p.call(callCtx, inst, x, budget)
		p.release(inst, r.healthy)
		return r.out, r.err
	}
	return p.callWatched(callCtx, inst, x, budget)
}

// runawayGrace is how long after the deadline an untrusted call may take to
// notice it before it is abandoned (it normally stops within microseconds).
const runawayGrace = 100 * time.Millisecond

// callWatched runs an untrusted call on its own goroutine. wazero stops a
// guest at the deadline only when it passes a loop header; a guest that
// recurses without loops (2^40 calls of a tiny function) runs on. Its caller
// still gets DeadlineExceeded on time: the call is abandoned, finishes on
// its own and its instance is closed then. At most Instances calls of a
// plugin run abandoned; beyond that the slot comes back only when the
// runaway ends, so a plugin cannot take more than twice its share of CPUs.
//
// What this cannot help: compiled wasm code is not preemptible by the Go
// scheduler, so a garbage collection that starts while such a runaway runs
// waits for it, and stops every goroutine meanwhile (measured: a GC took
// 2.8 s beside a 2^29-call runaway; beside a looping untrusted guest, whose
// loop checks are preemption points, 7 ms). A trusted guest that loops for
// ever hangs the whole process at the next GC.
func (p *Plugin) callWatched(ctx context.Context, inst *instance, x *exchange, budget time.Duration) (abi.Message, error) {
	done := make(chan callResult, 1)
	go func() { done <- p.call(ctx, inst, x, budget) }()
	var r callResult
	select {
	case r = <-done:
	case <-ctx.Done():
		t := time.NewTimer(runawayGrace)
		defer t.Stop()
		select {
		case r = <-done:
		case <-t.C:
			x.close() // from here on the call leaves the caller's buffers alone
			p.abandon(inst, done)
			return nil, p.processError(fmt.Errorf("%s: %w (still running)", "gonyx_process", ctx.Err()), budget)
		}
	}
	p.release(inst, r.healthy)
	return r.out, r.err
}

// abandon leaves a runaway call to finish in the background.
func (p *Plugin) abandon(inst *instance, done <-chan callResult) {
	p.log.Warn("plugin call runs past its deadline without reaching a loop; abandoning it")
	p.runaways.Add(1)
	replaced := p.abandoned.Add(1) <= int64(cap(p.slots))
	if replaced {
		p.slots <- nil
	}
	go func() {
		defer p.runaways.Done()
		<-done
		inst.close()
		p.abandoned.Add(-1)
		if !replaced {
			p.slots <- nil
		}
	}()
}

// release puts an instance back in the pool, or a nil standing for its
// replacement when it failed.
func (p *Plugin) release(inst *instance, healthy bool) {
	if !healthy {
		inst.close()
		inst = nil
	}
	p.slots <- inst
}

// budget is the time a call starting now may take.
func (p *Plugin) budget(ctx context.Context) time.Duration {
	b := p.cfg.Timeout
	if dl, ok := ctx.Deadline(); ok {
		b = min(b, time.Until(dl))
	}
	return b
}

// start makes a new instance for Process.
func (p *Plugin) start(ctx context.Context) (inst *instance, err error) {
	budget := p.budget(ctx)
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("starting an instance panicked", "panic", fmt.Sprint(r))
			inst, err = nil, p.processError(fmt.Errorf("internal error: %v", r), budget)
		}
	}()
	inst, err = p.newInstance(ctx)
	if err != nil {
		return nil, p.processError(fmt.Errorf("starting an instance: %w", err), budget)
	}
	return inst, nil
}

type callResult struct {
	out     abi.Message
	healthy bool // false: the instance must not be used again
	err     error
}

// call makes one gonyx_process call on inst.
func (p *Plugin) call(ctx context.Context, inst *instance, x *exchange, budget time.Duration) (res callResult) {
	defer func() {
		// A bug of ours must not take the server down either.
		if r := recover(); r != nil {
			p.log.Error("plugin call panicked", "panic", fmt.Sprint(r))
			res = callResult{err: p.processError(fmt.Errorf("internal error: %v", r), budget)}
		}
	}()
	fail := func(err error) callResult { return callResult{err: p.processError(err, budget)} }
	inst.fault = nil
	inst.stderr.takeCrash() // what earlier calls printed is not this call's story
	ctx = context.WithValue(ctx, instanceKey{}, inst)
	inst.cur = x
	r, err := inst.callWith(ctx, inst.processFn, abi.ExportProcess, x.size, x.encode, p.cfg.MaxOutputBytes)
	inst.cur = nil
	if err != nil {
		return fail(err)
	}
	if r.isErr {
		msg := guestMessage(r.data)
		if msg == "" {
			msg = "failed without a message"
		}
		if err := inst.release(ctx, r); err != nil {
			return fail(err)
		}
		return callResult{healthy: true, err: &infer.Error{Code: infer.InvalidArgument, Msg: fmt.Sprintf("plugin %s: %s", p.name, msg)}}
	}
	if total := int64(r.n) + int64(x.attachedBytes); total > int64(p.cfg.MaxOutputBytes) {
		return fail(fmt.Errorf("%s returned %d bytes and attached %d, over the limit of %d", abi.ExportProcess, r.n, x.attachedBytes, p.cfg.MaxOutputBytes))
	}
	// Decoding straight from guest memory copies tensors once; bytes
	// entries alias the view and are copied below, before the guest runs.
	out, err := x.decode(r.data)
	if err != nil {
		return fail(fmt.Errorf("undecodable output: %w", err))
	}
	if out, err = x.output(out); err != nil {
		return fail(err)
	}
	for i := range out {
		if out[i].Tensor == nil {
			out[i].Bytes = append([]byte(nil), out[i].Bytes...)
		}
	}
	if err := inst.release(ctx, r); err != nil {
		return fail(err)
	}
	// Trusted instances run on past the deadline; a late answer still fails,
	// as it would have for an untrusted plugin, but the instance is fine.
	// The clock decides, not ctx.Err(): while a guest that cannot be
	// preempted holds up a garbage collection, the timer that would cancel
	// ctx does not run either.
	if err := ctx.Err(); err != nil {
		return callResult{healthy: true, err: p.processError(err, budget)}
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return callResult{healthy: true, err: p.processError(context.DeadlineExceeded, budget)}
	}
	return callResult{out: out, healthy: true}
}
