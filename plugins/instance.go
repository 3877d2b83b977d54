package plugins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"

	"github.com/tetratelabs/wazero/api"

	"github.com/gonyx/gonyx/plugins/abi"
)

// instance is one wasm instance of a plugin. It is used by one goroutine at
// a time: whoever took it from the pool.
type instance struct {
	p   *Plugin
	mod api.Module
	mem api.Memory

	alloc, free, describeFn, initFn, processFn api.Function

	stdout, stderr *lineWriter

	// fault is set by a host function that aborted the current call (bad
	// pointer, panic): it explains the error the call then returns.
	fault error

	stack [2]uint64 // parameters and results of CallWithStack

	params paramsCache // the image kernels' last params JSON, parsed

	// cur is the Process call under way, for host functions that add to
	// its output (image_preprocess_output); nil outside gonyx_process.
	cur *exchange
}

// instanceKey carries the calling instance to the host functions.
type instanceKey struct{}

func instanceFrom(ctx context.Context) *instance {
	inst, _ := ctx.Value(instanceKey{}).(*instance)
	return inst
}

// instantiate makes a new instance (running its _initialize).
func (p *Plugin) instantiate(ctx context.Context) (*instance, error) {
	inst := &instance{p: p}
	inst.stdout = newLineWriter(p, "stdout", slog.LevelInfo)
	inst.stderr = newLineWriter(p, "stderr", slog.LevelWarn)
	ctx = withGuestMemory(context.WithValue(ctx, instanceKey{}, inst))
	mod, err := p.wr.InstantiateModule(ctx, p.compiled,
		p.modConfig.WithStdout(inst.stdout).WithStderr(inst.stderr))
	if err != nil {
		inst.stdout.Flush()
		inst.stderr.Flush()
		return nil, inst.failure(ctx, "starting an instance", err)
	}
	inst.mod = mod
	// A module without memory gets a nil *MemoryInstance inside the
	// interface, which a plain nil check misses.
	if inst.mem = mod.Memory(); inst.mem == nil || reflect.ValueOf(inst.mem).IsNil() {
		inst.close()
		return nil, errors.New("defines no memory")
	}
	return inst, nil
}

// newInstance makes a ready instance: instantiated, bound and initialised.
func (p *Plugin) newInstance(ctx context.Context) (*instance, error) {
	inst, err := p.instantiate(ctx)
	if err != nil {
		return nil, err
	}
	inst.bind()
	if err := inst.init(ctx); err != nil {
		inst.close()
		return nil, err
	}
	return inst, nil
}

// bind looks up the exports once (checkExports has vouched for them).
func (inst *instance) bind() {
	inst.alloc = inst.mod.ExportedFunction(abi.ExportAlloc)
	inst.free = inst.mod.ExportedFunction(abi.ExportFree)
	inst.describeFn = inst.mod.ExportedFunction(abi.ExportDescribe)
	inst.initFn = inst.mod.ExportedFunction(abi.ExportInit)
	inst.processFn = inst.mod.ExportedFunction(abi.ExportProcess)
}

func (inst *instance) close() {
	if inst.mod != nil {
		_ = inst.mod.Close(context.Background())
	}
	inst.stdout.Flush()
	inst.stderr.Flush()
}

// call calls fn with up to two i32/i64 parameters and returns its result
// (0 if it has none). ctx must carry the instance (instanceKey).
func (inst *instance) call(ctx context.Context, fn api.Function, params ...uint64) (uint64, error) {
	stack := inst.stack[:]
	copy(stack, params)
	if err := fn.CallWithStack(ctx, stack); err != nil {
		return 0, err
	}
	return stack[0], nil
}

func (inst *instance) checkVersion(ctx context.Context) error {
	fn := inst.mod.ExportedFunction(abi.ExportABIVersion)
	v, err := inst.call(ctx, fn)
	if err != nil {
		return inst.failure(ctx, abi.ExportABIVersion, err)
	}
	if int32(v) != abi.Version {
		return fmt.Errorf("reports ABI version %d; this gonyx supports version %d", int32(v), abi.Version)
	}
	return nil
}

// reserve allocates n bytes in the guest (gonyx_alloc) and views them.
func (inst *instance) reserve(ctx context.Context, n int) (uint32, []byte, error) {
	ptr, err := inst.call(ctx, inst.alloc, uint64(n))
	if err != nil {
		return 0, nil, inst.failure(ctx, abi.ExportAlloc, err)
	}
	if uint32(ptr) == 0 {
		return 0, nil, fmt.Errorf("%s(%d) returned 0 (out of memory)", abi.ExportAlloc, n)
	}
	view, ok := inst.mem.Read(uint32(ptr), uint32(n))
	if !ok {
		return 0, nil, fmt.Errorf("%s(%d) returned %#x, outside its %d-byte memory", abi.ExportAlloc, n, uint32(ptr), inst.mem.Size())
	}
	return uint32(ptr), view, nil
}

// result is a packed result checked against the guest's memory. data is a
// view of guest memory, valid until the guest runs again.
type result struct {
	ptr, n uint32
	isErr  bool
	data   []byte
}

// maxErrorBytes bounds how much of a guest's error message is read.
const maxErrorBytes = 4 << 10

// read checks a packed result from export fn and views its bytes.
func (inst *instance) read(fn string, packed uint64, limit int) (result, error) {
	var r result
	r.ptr, r.n, r.isErr = abi.Unpack(packed)
	if r.isErr && r.ptr == 0 && r.n == 0 {
		return r, nil // failed without a message
	}
	if !r.isErr && int64(r.n) > int64(limit) {
		return r, fmt.Errorf("%s returned %d bytes, over the limit of %d", fn, r.n, limit)
	}
	data, ok := inst.mem.Read(r.ptr, r.n)
	if !ok {
		return r, fmt.Errorf("%s returned %d bytes at %#x, outside its %d-byte memory", fn, r.n, r.ptr, inst.mem.Size())
	}
	if r.isErr {
		data = data[:min(len(data), maxErrorBytes)]
	}
	r.data = data
	return r, nil
}

// release frees a result's buffer, as the ABI makes the host do.
func (inst *instance) release(ctx context.Context, r result) error {
	if r.ptr == 0 && r.n == 0 {
		return nil
	}
	if _, err := inst.call(ctx, inst.free, uint64(r.ptr), uint64(r.n)); err != nil {
		return inst.failure(ctx, abi.ExportFree, err)
	}
	return nil
}

// callBuffer calls fn(ptr, len) on a copy of in, frees the input and checks
// the packed result against limit.
func (inst *instance) callBuffer(ctx context.Context, fn api.Function, name string, in []byte, limit int) (result, error) {
	return inst.callWith(ctx, fn, name, len(in), func(dst []byte) error { copy(dst, in); return nil }, limit)
}

// callWith is callBuffer for an input of n bytes that fill writes straight
// into guest memory (Process encodes its message there: no host copy).
func (inst *instance) callWith(ctx context.Context, fn api.Function, name string, n int, fill func([]byte) error, limit int) (result, error) {
	ptr, view, err := inst.reserve(ctx, n)
	if err != nil {
		return result{}, err
	}
	if err := fill(view); err != nil {
		return result{}, err
	}
	packed, err := inst.call(ctx, fn, uint64(ptr), uint64(n))
	if err != nil {
		return result{}, inst.failure(ctx, name, err)
	}
	if _, err := inst.call(ctx, inst.free, uint64(ptr), uint64(n)); err != nil {
		return result{}, inst.failure(ctx, abi.ExportFree, err)
	}
	return inst.read(name, packed, limit)
}

// describe reads gonyx_describe's JSON.
func (inst *instance) describe(ctx context.Context) (Description, error) {
	packed, err := inst.call(ctx, inst.describeFn)
	if err != nil {
		return Description{}, inst.failure(ctx, abi.ExportDescribe, err)
	}
	r, err := inst.read(abi.ExportDescribe, packed, maxDescriptionBytes)
	if err != nil {
		return Description{}, err
	}
	if r.isErr {
		return Description{}, fmt.Errorf("%s failed: %s", abi.ExportDescribe, guestMessage(r.data))
	}
	d, err := parseDescription(r.data)
	if err != nil {
		return d, err
	}
	return d, inst.release(ctx, r)
}

// init calls gonyx_init with the plugin's settings.
func (inst *instance) init(ctx context.Context) error {
	ctx = context.WithValue(ctx, instanceKey{}, inst)
	r, err := inst.callBuffer(ctx, inst.initFn, abi.ExportInit, inst.p.initJSON, maxErrorBytes)
	if err != nil {
		return err
	}
	if r.isErr {
		return fmt.Errorf("%s failed: %s", abi.ExportInit, guestMessage(r.data))
	}
	return inst.release(ctx, r)
}
