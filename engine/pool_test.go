package engine

import (
	"context"
	"runtime"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// testDomain holds kernels that allocate through the engine's pool, so the
// recycling rules can be tested independently of which real kernels use it.
const testDomain = "test.pool"

func init() {
	// AddOne: y = x + 1, output from rc.NewFloat32 (dirty memory).
	ops.Register(testDomain, "AddOne", 1, func(n *ops.Node) (ops.Kernel, error) {
		return ops.KernelFunc(func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
			x := in[0].(*tensor.Tensor)
			y, err := rc.NewFloat32(x.Shape(), false)
			if err != nil {
				return nil, err
			}
			xs, ys := tensor.Data[float32](x), tensor.Data[float32](y)
			for i := range xs {
				ys[i] = xs[i] + 1
			}
			return []tensor.Value{y}, nil
		}), nil
	})
	// Tail: a view of the second half of x (no copy), as a slicing kernel might return.
	ops.Register(testDomain, "Tail", 1, func(n *ops.Node) (ops.Kernel, error) {
		return ops.KernelFunc(func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
			x := in[0].(*tensor.Tensor)
			d := tensor.Data[float32](x)
			return []tensor.Value{tensor.New([]int{len(d) / 2}, d[len(d)/2:])}, nil
		}), nil
	})
}

func poolNode(op, in, out string) *graph.Node {
	return &graph.Node{Name: op + "_" + out, OpType: op, Domain: testDomain, Inputs: []string{in}, Outputs: []string{out}, Attrs: map[string]*graph.Attribute{}}
}

// chain: a = x+1; t = Tail(a) (a view into a's buffer); b = a... the view t
// outlives a, then more AddOnes run that would reuse a's buffer if it were
// wrongly recycled, and y reads t at the end.
func poolModel(n int) *graph.Model {
	nodes := []*graph.Node{
		poolNode("AddOne", "x", "a"),
		poolNode("Tail", "a", "t"),
		poolNode("AddOne", "x", "b1"),
	}
	for i := 2; i <= n; i++ {
		nodes = append(nodes, poolNode("AddOne", "b"+itoa(i-1), "b"+itoa(i)))
	}
	nodes = append(nodes, poolNode("AddOne", "t", "y"), poolNode("AddOne", "b"+itoa(n), "z"))
	return &graph.Model{
		IRVersion: 8,
		Opsets:    map[string]int{"": 17, testDomain: 1},
		Graph: &graph.Graph{
			Name:   "pool",
			Inputs: []graph.ValueInfo{{Name: "x", Type: tensorType(tensor.Float32, 4096)}},
			Outputs: []graph.ValueInfo{
				{Name: "y", Type: tensorType(tensor.Float32, 2048)},
				{Name: "z", Type: tensorType(tensor.Float32, 4096)},
			},
			Nodes: nodes,
		},
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func TestPoolRespectsViewsAndOutputs(t *testing.T) {
	m, err := FromIR(poolModel(6))
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i)
	}
	in := map[string]*Tensor{"x": tensor.New([]int{4096}, x)}
	var firstZ *Tensor
	for run := 0; run < 3; run++ {
		out, err := m.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		y, z := tensor.Data[float32](out["y"]), tensor.Data[float32](out["z"])
		for i := range y {
			if y[i] != float32(2048+i)+2 {
				t.Fatalf("run %d: y[%d] = %v, want %v (a view's buffer was recycled)", run, i, y[i], float32(2048+i)+2)
			}
		}
		for i := range z {
			if z[i] != float32(i)+7 {
				t.Fatalf("run %d: z[%d] = %v", run, i, z[i])
			}
		}
		if run == 0 {
			firstZ = out["z"]
		}
	}
	// Outputs handed to the caller are never reused by later runs.
	if z := tensor.Data[float32](firstZ); z[0] != 7 || z[4095] != 4095+7 {
		t.Fatalf("first run's output was overwritten: %v", firstZ)
	}
	if m.pool.bytes == 0 {
		t.Fatal("no buffer was recycled")
	}
}

func TestPoolDisabled(t *testing.T) {
	m, err := FromIR(poolModel(3), WithoutBufferReuse())
	if err != nil {
		t.Fatal(err)
	}
	if m.pool != nil {
		t.Fatal("pool exists with reuse disabled")
	}
	out, err := m.Run(context.Background(), map[string]*Tensor{"x": tensor.New([]int{4096}, make([]float32, 4096))})
	if err != nil || tensor.Data[float32](out["z"])[0] != 4 {
		t.Fatalf("%v %v", out, err)
	}
}

// Steady-state runs reuse buffers: the bytes allocated per run drop to
// about the outputs' size instead of every intermediate's.
func TestPoolReducesAllocatedBytes(t *testing.T) {
	in := map[string]*Tensor{"x": tensor.New([]int{4096}, make([]float32, 4096))}
	measure := func(opts ...Option) uint64 {
		m, err := FromIR(poolModel(20), opts...)
		if err != nil {
			t.Fatal(err)
		}
		m.Run(context.Background(), in) // warm the pool
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const runs = 5
		for i := 0; i < runs; i++ {
			if _, err := m.Run(context.Background(), in); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / runs
	}
	with, without := measure(), measure(WithoutBufferReuse())
	// 23 buffers of 16 KiB without reuse; with reuse only the two outputs
	// (8 + 16 KiB) are new each run.
	if with > 40<<10 || without < 300<<10 {
		t.Fatalf("bytes allocated per run: %d with reuse, %d without", with, without)
	}
}
