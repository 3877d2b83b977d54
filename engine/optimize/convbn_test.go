package optimize_test

import (
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// convBNModel is Conv(x, W, B?) → BatchNormalization with two 1×1 filters
// over two input channels:
//
//	W = [[1, 2], [3, 4]], B = [0.5, -1]
//	γ = [2, 0.5], β = [0.1, 0.2], mean = [1, -1], var = [3, 0], ε = 1
//
// so a = γ/√(var+ε) = [1, 0.5], W' = [[1, 2], [1.5, 2]] and
// B' = B·a + β − mean·a = [-0.4, 0.2] (without B: [-0.9, 0.7]).
func convBNModel(withBias bool, bnAttrs ...*graph.Attribute) *graph.Model {
	b := newBuilder(15).in("x", 1, 2, 3, 3).out("y")
	b.init("W", f32([]int{2, 2, 1, 1}, 1, 2, 3, 4))
	b.init("B", f32([]int{2}, 0.5, -1))
	b.init("gamma", f32([]int{2}, 2, 0.5))
	b.init("beta", f32([]int{2}, 0.1, 0.2))
	b.init("mean", f32([]int{2}, 1, -1))
	b.init("var", f32([]int{2}, 3, 0))
	convIn := ins("x", "W", "B")
	if !withBias {
		convIn = ins("x", "W")
	}
	b.node("Conv", convIn, ins("c"), aInts("kernel_shape", 1, 1))
	b.node("BatchNormalization", ins("c", "gamma", "beta", "mean", "var"), ins("y"), append(bnAttrs, aFloat("epsilon", 1))...)
	return b.m
}

func TestConvBN(t *testing.T) {
	runPassCases(t, "conv-bn", []passCase{
		{
			name:     "fold with a conv bias",
			build:    func() *graph.Model { return convBNModel(true) },
			want:     []string{"Conv(x,W_bnfold,beta_bnfold)->y kernel_shape=[1 1]"},
			rewrites: 1,
			check: func(t *testing.T, m *graph.Model) {
				g := m.Graph
				floatsNear(t, "W'", g.Initializers["W_bnfold"], 1, 2, 1.5, 2)
				floatsNear(t, "B'", g.Initializers["beta_bnfold"], -0.4, 0.2)
				if s := g.Initializers["W_bnfold"].Shape(); len(s) != 4 || s[0] != 2 || s[1] != 2 {
					t.Errorf("W' shape %v", s)
				}
				for _, old := range []string{"W", "B", "gamma", "beta", "mean", "var"} {
					if _, ok := g.Initializers[old]; ok {
						t.Errorf("initializer %s is no longer read but kept", old)
					}
				}
				if len(g.InitializerOrder) != len(g.Initializers) {
					t.Errorf("InitializerOrder %v out of step with %d initializers", g.InitializerOrder, len(g.Initializers))
				}
			},
		},
		{
			name:     "fold without a conv bias",
			build:    func() *graph.Model { return convBNModel(false) },
			want:     []string{"Conv(x,W_bnfold,beta_bnfold)->y kernel_shape=[1 1]"},
			rewrites: 1,
			check: func(t *testing.T, m *graph.Model) {
				floatsNear(t, "B'", m.Graph.Initializers["beta_bnfold"], -0.9, 0.7)
			},
		},
		{
			name:  "training-mode BatchNormalization stays",
			build: func() *graph.Model { return convBNModel(true, aInt("training_mode", 1)) },
			want: []string{
				"Conv(x,W,B)->c kernel_shape=[1 1]",
				"BatchNormalization(c,gamma,beta,mean,var)->y epsilon=1 training_mode=1",
			},
		},
		{
			name: "conv output read twice stays",
			build: func() *graph.Model {
				m := convBNModel(true)
				m.Graph.Outputs = append(m.Graph.Outputs, graph.ValueInfo{Name: "c"})
				return m
			},
			want: []string{
				"Conv(x,W,B)->c kernel_shape=[1 1]",
				"BatchNormalization(c,gamma,beta,mean,var)->y epsilon=1",
			},
		},
		{
			name: "overridable weights (also graph inputs) stay",
			build: func() *graph.Model {
				m := convBNModel(true)
				m.Graph.Inputs = append(m.Graph.Inputs, graph.ValueInfo{Name: "W", Type: ttype(tensor.Float32, 2, 2, 1, 1)})
				return m
			},
			want: []string{
				"Conv(x,W,B)->c kernel_shape=[1 1]",
				"BatchNormalization(c,gamma,beta,mean,var)->y epsilon=1",
			},
		},
	})
}

// TestConvBNKeepsWeights checks that folding never writes the original
// tensors (they may alias the model file).
func TestConvBNKeepsWeights(t *testing.T) {
	m := convBNModel(true)
	w := m.Graph.Initializers["W"]
	b := m.Graph.Initializers["B"]
	if _, err := optimizeAll(m); err != nil {
		t.Fatal(err)
	}
	floatsNear(t, "W", w, 1, 2, 3, 4)
	floatsNear(t, "B", b, 0.5, -1)
}
