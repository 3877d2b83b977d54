package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/tetratelabs/wazero/api"

	"github.com/gonyx/gonyx/plugins/abi"
)

// Bounds on what host functions read from guests.
const (
	maxLogBytes = 64 << 10
	maxKeyBytes = 4 << 10
)

// hostFunc is the body of a host function: the calling instance, its
// memory and the wasm value stack (parameters in, results out).
type hostFunc func(ctx context.Context, inst *instance, stack []uint64)

// instantiateHostModule provides module "gonyx" (docs/PLUGINS.md) to this
// plugin's runtime.
func (p *Plugin) instantiateHostModule(ctx context.Context) error {
	b := p.wr.NewHostModuleBuilder(abi.HostModule)
	def := func(name string, fn hostFunc, params []api.ValueType, results []api.ValueType) {
		b.NewFunctionBuilder().WithGoModuleFunction(p.guard(name, fn), params, results).Export(name)
	}
	v := func(t ...api.ValueType) []api.ValueType { return t }
	def("log", p.hostLog, v(i32, i32, i32), nil)
	def("config", p.hostConfig, v(i32, i32), v(i64))
	def("image_decode", p.hostImageDecode, v(i32, i32), v(i64))
	def("image_resize", p.hostImageResize, v(i32, i32, i32, i32), v(i64))
	def("image_crop", p.hostImageCrop, v(i32, i32, i32, i32, i32, i32), v(i64))
	def("image_to_tensor", p.hostImageToTensor, v(i32, i32, i32, i32), v(i64))
	def("image_preprocess", p.hostImagePreprocess, v(i32, i32, i32, i32, i32, i32, i32, i32), v(i64))
	def("image_preprocess_output", p.hostImagePreprocessOutput, v(i32, i32, i32, i32, i32, i32, i32, i32), v(i64))
	_, err := b.Instantiate(ctx)
	return err
}

// errHostAbort unwinds the guest after a host function recorded why in the
// instance's fault; wazero turns the panic into the call's error.
var errHostAbort = errors.New("host function aborted the call")

// guard runs a host function so that nothing it meets takes the host down:
// a hostFault (bad pointer, broken allocator) or any panic becomes the
// instance's fault and aborts the guest's call, which then fails with an
// error naming the function.
func (p *Plugin) guard(name string, fn hostFunc) api.GoModuleFunc {
	return func(ctx context.Context, m api.Module, stack []uint64) {
		inst := instanceFrom(ctx)
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			var err error
			if f, ok := r.(hostFault); ok {
				err = f.err
			} else {
				err = fmt.Errorf("panicked: %v", r)
				p.log.Error("host function panicked", "function", name, "panic", fmt.Sprint(r))
			}
			if inst != nil && inst.fault == nil {
				inst.fault = fmt.Errorf("host function %s: %w", name, err)
			}
			panic(errHostAbort)
		}()
		if inst == nil {
			panic(hostFault{errors.New("called outside a plugin call")})
		}
		if inst.mem == nil {
			// Called from _initialize (C constructors may log): the
			// instance is not set up yet, but its memory exists.
			inst.mem = m.Memory()
		}
		fn(ctx, inst, stack)
	}
}

// abort stops the current call with a fault.
func abort(format string, args ...any) {
	panic(hostFault{fmt.Errorf(format, args...)})
}

// in views n bytes of guest memory at ptr; a range outside memory aborts.
// The view is valid until the guest runs again (gonyx_alloc may grow memory).
func (inst *instance) in(ptr, n uint32, what string) []byte {
	b, ok := inst.mem.Read(ptr, n)
	if !ok {
		abort("%s: %d bytes at %#x are outside the guest's %d-byte memory", what, n, ptr, inst.mem.Size())
	}
	return b
}

// out allocates n bytes in the guest through its gonyx_alloc and returns
// the packed result pointing at them and a view to fill, or ok=false when
// the guest is out of memory.
func (inst *instance) out(ctx context.Context, n int, isErr bool) (packed uint64, view []byte, ok bool) {
	if n == 0 {
		return abi.Pack(0, 0, isErr), nil, true // nothing to allocate, nothing to free
	}
	if inst.alloc == nil {
		abort("cannot return data during _initialize, before gonyx_init")
	}
	if n > inst.p.cfg.memoryLimitBytes() {
		return 0, nil, false
	}
	res, err := inst.alloc.Call(ctx, uint64(n))
	if err != nil {
		// %w keeps a deadline a deadline when the guest is stopped inside.
		panic(hostFault{inst.failure(ctx, fmt.Sprintf("%s(%d)", abi.ExportAlloc, n), err)})
	}
	ptr := uint32(res[0])
	if ptr == 0 {
		return 0, nil, false
	}
	view, ok = inst.mem.Read(ptr, uint32(n))
	if !ok {
		abort("%s(%d) returned %#x, outside the guest's %d-byte memory", abi.ExportAlloc, n, ptr, inst.mem.Size())
	}
	return abi.Pack(ptr, uint32(n), isErr), view, true
}

// reply returns data to the guest as a packed result; if the guest cannot
// hold it, an error result instead.
func (inst *instance) reply(ctx context.Context, data []byte) uint64 {
	packed, view, ok := inst.out(ctx, len(data), false)
	if !ok {
		return inst.replyError(ctx, fmt.Sprintf("out of memory for a %d-byte result", len(data)))
	}
	copy(view, data)
	return packed
}

// replyError returns an error result with a message (or none, if even the
// message cannot be allocated).
func (inst *instance) replyError(ctx context.Context, msg string) uint64 {
	packed, view, ok := inst.out(ctx, len(msg), true)
	if !ok {
		return abi.Pack(0, 0, true)
	}
	copy(view, msg)
	return packed
}

var logLevels = [...]slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}

// log(level i32, ptr i32, len i32)
func (p *Plugin) hostLog(_ context.Context, inst *instance, stack []uint64) {
	level, ptr, n := int32(stack[0]), uint32(stack[1]), uint32(stack[2])
	msg := inst.in(ptr, n, "message")
	msg = msg[:min(len(msg), maxLogBytes)]
	p.guestLog(logLevels[min(max(level, 0), 3)], msg, maxLogBytes)
}

// config(key_ptr i32, key_len i32) -> i64
func (p *Plugin) hostConfig(ctx context.Context, inst *instance, stack []uint64) {
	ptr, n := uint32(stack[0]), uint32(stack[1])
	if n > maxKeyBytes {
		stack[0] = inst.replyError(ctx, fmt.Sprintf("config key of %d bytes is too long", n))
		return
	}
	key := string(inst.in(ptr, n, "key"))
	v, ok := p.cfg.Settings[key]
	if !ok {
		stack[0] = inst.replyError(ctx, fmt.Sprintf("no setting %q", key))
		return
	}
	stack[0] = inst.reply(ctx, []byte(v))
}
