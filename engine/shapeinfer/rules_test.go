package shapeinfer

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// parseType reads "float32[N,3,?]" (or "int64[?]" for unknown rank written
// as "[*]").
func parseType(t *testing.T, s string) *graph.Type {
	i := strings.IndexByte(s, '[')
	if i < 0 || !strings.HasSuffix(s, "]") {
		t.Fatalf("bad type %q", s)
	}
	var elem tensor.DType
	for d := tensor.DType(0); d <= tensor.BFloat16; d++ {
		if d.String() == s[:i] {
			elem = d
		}
	}
	ty := &graph.Type{Kind: graph.KindTensor, Elem: elem}
	body := s[i+1 : len(s)-1]
	if body == "*" {
		return ty
	}
	ty.Shape = []graph.Dim{}
	if body == "" {
		return ty
	}
	for _, f := range strings.Split(body, ",") {
		switch v, err := strconv.ParseInt(f, 10, 64); {
		case err == nil:
			ty.Shape = append(ty.Shape, graph.Dim{Value: v})
		case f == "?":
			ty.Shape = append(ty.Shape, graph.Dim{Value: -1})
		default:
			ty.Shape = append(ty.Shape, graph.Dim{Value: -1, Param: f})
		}
	}
	return ty
}

type attr = *graph.Attribute

func ai(name string, v int64) attr { return &graph.Attribute{Name: name, Type: graph.AttrInt, I: v} }
func af(name string, v float32) attr {
	return &graph.Attribute{Name: name, Type: graph.AttrFloat, F: v}
}
func ais(name string, v ...int64) attr {
	return &graph.Attribute{Name: name, Type: graph.AttrInts, Ints: v}
}
func as(name, v string) attr {
	return &graph.Attribute{Name: name, Type: graph.AttrString, S: []byte(v)}
}
func at(name string, v *tensor.Tensor) attr {
	return &graph.Attribute{Name: name, Type: graph.AttrTensor, T: v}
}

func nd(op string, ins, outs string, attrs ...attr) *graph.Node {
	n := &graph.Node{Name: op + "_node", OpType: op, Attrs: map[string]*graph.Attribute{}}
	if ins != "" {
		n.Inputs = strings.Split(ins, ",")
	}
	n.Outputs = strings.Split(outs, ",")
	for _, a := range attrs {
		n.Attrs[a.Name] = a
	}
	return n
}

func i64s(v ...int64) *tensor.Tensor   { return tensor.New([]int{len(v)}, v) }
func f32s(v ...float32) *tensor.Tensor { return tensor.New([]int{len(v)}, v) }

type inferCase struct {
	name   string
	opset  int
	inputs []string // "name:type"
	consts map[string]*tensor.Tensor
	nodes  []*graph.Node
	want   map[string]string
	err    string // substring of the expected error
}

func buildModel(t *testing.T, c inferCase) *graph.Model {
	g := &graph.Graph{Initializers: map[string]*tensor.Tensor{}}
	for _, in := range c.inputs {
		k := strings.IndexByte(in, ':')
		g.Inputs = append(g.Inputs, graph.ValueInfo{Name: in[:k], Type: parseType(t, in[k+1:])})
	}
	for k, v := range c.consts {
		g.Initializers[k] = v
	}
	g.Nodes = c.nodes
	opset := c.opset
	if opset == 0 {
		opset = 17
	}
	return &graph.Model{Opsets: map[string]int{"": opset}, Graph: g}
}

func runCases(t *testing.T, cases []inferCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := infer(buildModel(t, c), false)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want one containing %q", err, c.err)
				}
				if !strings.Contains(err.Error(), "_node") {
					t.Errorf("error %q does not name the node", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range c.want {
				got := res.Types[name]
				if want == "" {
					if got != nil {
						t.Errorf("%s: inferred %s, want unknown", name, typeStr(got))
					}
					continue
				}
				if typeStr(got) != want {
					t.Errorf("%s: inferred %s, want %s", name, typeStr(got), want)
				}
			}
		})
	}
}

func TestElementwise(t *testing.T) {
	runCases(t, []inferCase{
		{name: "broadcast", inputs: []string{"a:float32[N,1,4]", "b:float32[3,1]"},
			nodes: []*graph.Node{nd("Add", "a,b", "y")}, want: map[string]string{"y": "float32[N,3,4]"}},
		{name: "symbol with fixed", inputs: []string{"a:float32[N]", "b:float32[5]"},
			nodes: []*graph.Node{nd("Mul", "a,b", "y")}, want: map[string]string{"y": "float32[5]"}},
		{name: "same symbol", inputs: []string{"a:float32[N,2]", "b:float32[N,1]"},
			nodes: []*graph.Node{nd("Sub", "a,b", "y")}, want: map[string]string{"y": "float32[N,2]"}},
		{name: "different symbols", inputs: []string{"a:float32[N]", "b:float32[M]"},
			nodes: []*graph.Node{nd("Div", "a,b", "y")}, want: map[string]string{"y": "float32[?]"}},
		{name: "unknown rank", inputs: []string{"a:float32[*]", "b:float32[3]"},
			nodes: []*graph.Node{nd("Add", "a,b", "y")}, want: map[string]string{"y": "float32[*]"}},
		{name: "mismatch", inputs: []string{"a:float32[2,3]", "b:float32[2,4]"},
			nodes: []*graph.Node{nd("Add", "a,b", "y")}, err: "not broadcastable"},
		{name: "compare", inputs: []string{"a:int64[N,S]", "b:int64[]"},
			nodes: []*graph.Node{nd("Equal", "a,b", "y")}, want: map[string]string{"y": "bool[N,S]"}},
		{name: "where", inputs: []string{"c:bool[N,1]", "x:float32[1,4]", "y:float32[]"},
			nodes: []*graph.Node{nd("Where", "c,x,y", "z")}, want: map[string]string{"z": "float32[N,4]"}},
		{name: "variadic", inputs: []string{"a:float32[3,1]", "b:float32[4]", "c:float32[1,1]"},
			nodes: []*graph.Node{nd("Max", "a,b,c", "y")}, want: map[string]string{"y": "float32[3,4]"}},
		{name: "unary", inputs: []string{"x:float16[N,7]"},
			nodes: []*graph.Node{nd("Erf", "x", "a"), nd("Tanh", "a", "b"), nd("Sigmoid", "b", "c"),
				nd("Clip", "c", "d"), nd("Softmax", "d", "e", ai("axis", -1)), nd("IsNaN", "e", "f")},
			want: map[string]string{"a": "float16[N,7]", "d": "float16[N,7]", "e": "float16[N,7]", "f": "bool[N,7]"}},
		{name: "cast dropout", inputs: []string{"x:float32[N,3]"},
			nodes: []*graph.Node{nd("Cast", "x", "c", ai("to", int64(tensor.Int64))), nd("Dropout", "x", "d,m")},
			want:  map[string]string{"c": "int64[N,3]", "d": "float32[N,3]", "m": "bool[N,3]"}},
		{name: "identity", inputs: []string{"x:int8[2,S]"},
			nodes: []*graph.Node{nd("Identity", "x", "y")}, want: map[string]string{"y": "int8[2,S]"}},
	})
}

func TestLinear(t *testing.T) {
	runCases(t, []inferCase{
		{name: "gemm transB", inputs: []string{"a:float32[N,64]"},
			consts: map[string]*tensor.Tensor{"w": tensor.Zeros(tensor.Float32, 10, 64), "b": tensor.Zeros(tensor.Float32, 10)},
			nodes:  []*graph.Node{nd("Gemm", "a,w,b", "y", ai("transB", 1))}, want: map[string]string{"y": "float32[N,10]"}},
		{name: "gemm transA", inputs: []string{"a:float32[64,N]", "b:float32[64,K]"},
			nodes: []*graph.Node{nd("Gemm", "a,b", "y", ai("transA", 1))}, want: map[string]string{"y": "float32[N,K]"}},
		{name: "gemm K mismatch", inputs: []string{"a:float32[N,64]", "b:float32[32,10]"},
			nodes: []*graph.Node{nd("Gemm", "a,b", "y")}, err: "K=64"},
		{name: "gemm C mismatch", inputs: []string{"a:float32[N,64]", "b:float32[64,10]", "c:float32[5]"},
			nodes: []*graph.Node{nd("Gemm", "a,b,c", "y")}, err: "does not broadcast"},
		{name: "matmul batch", inputs: []string{"a:float32[2,N,3,4]", "b:float32[4,5]"},
			nodes: []*graph.Node{nd("MatMul", "a,b", "y")}, want: map[string]string{"y": "float32[2,N,3,5]"}},
		{name: "matmul broadcast batch", inputs: []string{"a:float32[N,1,3,4]", "b:float32[6,4,5]"},
			nodes: []*graph.Node{nd("MatMul", "a,b", "y")}, want: map[string]string{"y": "float32[N,6,3,5]"}},
		{name: "matmul vector left", inputs: []string{"a:float32[4]", "b:float32[S,4,5]"},
			nodes: []*graph.Node{nd("MatMul", "a,b", "y")}, want: map[string]string{"y": "float32[S,5]"}},
		{name: "matmul vector right", inputs: []string{"a:float32[3,4]", "b:float32[4]"},
			nodes: []*graph.Node{nd("MatMul", "a,b", "y")}, want: map[string]string{"y": "float32[3]"}},
		{name: "matmul mismatch", inputs: []string{"a:float32[3,4]", "b:float32[5,6]"},
			nodes: []*graph.Node{nd("MatMul", "a,b", "y")}, err: "inner dimensions"},
	})
}

func TestConvPool(t *testing.T) {
	runCases(t, []inferCase{
		{name: "conv stride pad", inputs: []string{"x:float32[N,3,224,224]"},
			consts: map[string]*tensor.Tensor{"w": tensor.Zeros(tensor.Float32, 64, 3, 7, 7)},
			nodes:  []*graph.Node{nd("Conv", "x,w", "y", ais("strides", 2, 2), ais("pads", 3, 3, 3, 3))},
			want:   map[string]string{"y": "float32[N,64,112,112]"}},
		{name: "conv same upper", inputs: []string{"x:float32[1,8,7,7]"},
			consts: map[string]*tensor.Tensor{"w": tensor.Zeros(tensor.Float32, 8, 1, 3, 3)},
			nodes:  []*graph.Node{nd("Conv", "x,w", "y", ai("group", 8), ais("strides", 2, 2), as("auto_pad", "SAME_UPPER"))},
			want:   map[string]string{"y": "float32[1,8,4,4]"}},
		{name: "conv dilation symbolic spatial", inputs: []string{"x:float32[N,2,H,10]"},
			consts: map[string]*tensor.Tensor{"w": tensor.Zeros(tensor.Float32, 4, 2, 3, 3)},
			nodes:  []*graph.Node{nd("Conv", "x,w", "y", ais("dilations", 2, 2))},
			want:   map[string]string{"y": "float32[N,4,?,6]"}},
		{name: "conv 1x1 keeps symbols", inputs: []string{"x:float32[N,2,H,W]"},
			consts: map[string]*tensor.Tensor{"w": tensor.Zeros(tensor.Float32, 4, 2, 1, 1)},
			nodes:  []*graph.Node{nd("Conv", "x,w", "y")},
			want:   map[string]string{"y": "float32[N,4,H,W]"}},
		{name: "conv channel mismatch", inputs: []string{"x:float32[1,4,8,8]"},
			consts: map[string]*tensor.Tensor{"w": tensor.Zeros(tensor.Float32, 8, 3, 3, 3)},
			nodes:  []*graph.Node{nd("Conv", "x,w", "y")}, err: "channels"},
		{name: "conv kernel too big", inputs: []string{"x:float32[1,3,2,2]"},
			consts: map[string]*tensor.Tensor{"w": tensor.Zeros(tensor.Float32, 8, 3, 3, 3)},
			nodes:  []*graph.Node{nd("Conv", "x,w", "y")}, err: "does not fit"},
		{name: "conv transpose", inputs: []string{"x:float32[N,8,4,4]"},
			consts: map[string]*tensor.Tensor{"w": tensor.Zeros(tensor.Float32, 8, 3, 3, 3)},
			nodes:  []*graph.Node{nd("ConvTranspose", "x,w", "y", ais("strides", 2, 2), ai("group", 2))},
			want:   map[string]string{"y": "float32[N,6,9,9]"}},
		{name: "maxpool", inputs: []string{"x:float32[N,64,112,112]"},
			nodes: []*graph.Node{nd("MaxPool", "x", "y", ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 1, 1, 1))},
			want:  map[string]string{"y": "float32[N,64,56,56]"}},
		{name: "maxpool ceil", inputs: []string{"x:float32[1,1,6,6]"},
			nodes: []*graph.Node{nd("MaxPool", "x", "y,i", ais("kernel_shape", 3, 3), ais("strides", 2, 2), ai("ceil_mode", 1)),
				nd("MaxPool", "x", "z", ais("kernel_shape", 3, 3), ais("strides", 2, 2))},
			want: map[string]string{"y": "float32[1,1,3,3]", "i": "int64[1,1,3,3]", "z": "float32[1,1,2,2]"}},
		{name: "averagepool", inputs: []string{"x:float32[N,C,9]"},
			nodes: []*graph.Node{nd("AveragePool", "x", "y", ais("kernel_shape", 2), ais("strides", 2))},
			want:  map[string]string{"y": "float32[N,C,4]"}},
		{name: "global pool", inputs: []string{"x:float32[N,C,7,7]"},
			nodes: []*graph.Node{nd("GlobalAveragePool", "x", "y"), nd("GlobalMaxPool", "x", "z")},
			want:  map[string]string{"y": "float32[N,C,1,1]", "z": "float32[N,C,1,1]"}},
		{name: "norms", inputs: []string{"x:float32[N,S,256]", "c:float32[N,3,5,5]", "s:float32[3]", "g:float32[256]"},
			nodes: []*graph.Node{nd("BatchNormalization", "c,s,s,s,s", "b"), nd("LayerNormalization", "x,g,g", "l,m,r", ai("axis", -1))},
			want:  map[string]string{"b": "float32[N,3,5,5]", "l": "float32[N,S,256]", "m": "float32[N,S,1]", "r": "float32[N,S,1]"}},
	})
}

// shapeChain builds Shape→Gather→Unsqueeze→Concat: the target [N,S,4,64]
// as PyTorch exports it for attention heads.
func shapeChain() []*graph.Node {
	return []*graph.Node{
		nd("Shape", "x", "sh"),
		nd("Constant", "", "i0", at("value", tensor.Scalar(int64(0)))),
		nd("Constant", "", "i1", at("value", tensor.Scalar(int64(1)))),
		nd("Gather", "sh,i0", "n", ai("axis", 0)),
		nd("Gather", "sh,i1", "s", ai("axis", 0)),
		nd("Unsqueeze", "n,ax", "n1"),
		nd("Unsqueeze", "s,ax", "s1"),
		nd("Constant", "", "tail", at("value", i64s(4, 64))),
		nd("Concat", "n1,s1,tail", "target", ai("axis", 0)),
		nd("Reshape", "x,target", "y"),
	}
}

func TestShapeOps(t *testing.T) {
	runCases(t, []inferCase{
		{name: "reshape from shape chain", inputs: []string{"x:float32[N,S,256]"},
			consts: map[string]*tensor.Tensor{"ax": i64s(0)}, nodes: shapeChain(),
			want: map[string]string{"sh": "int64[3]", "n": "int64[]", "target": "int64[4]", "y": "float32[N,S,4,64]"}},
		{name: "reshape zero and -1", inputs: []string{"x:float32[N,S,256]"},
			consts: map[string]*tensor.Tensor{"t": i64s(0, 0, -1, 64), "u": i64s(-1, 256), "v": i64s(0, -1)},
			nodes:  []*graph.Node{nd("Reshape", "x,t", "y"), nd("Reshape", "x,u", "z"), nd("Reshape", "x,v", "w")},
			want:   map[string]string{"y": "float32[N,S,4,64]", "z": "float32[?,256]", "w": "float32[N,?]"}},
		{name: "reshape -1 fixed", inputs: []string{"x:float32[2,3,4]"},
			consts: map[string]*tensor.Tensor{"t": i64s(-1, 6)},
			nodes:  []*graph.Node{nd("Reshape", "x,t", "y")}, want: map[string]string{"y": "float32[4,6]"}},
		{name: "reshape count mismatch", inputs: []string{"x:float32[2,3]"},
			consts: map[string]*tensor.Tensor{"t": i64s(4, 2)},
			nodes:  []*graph.Node{nd("Reshape", "x,t", "y")}, err: "6 elements"},
		{name: "reshape indivisible", inputs: []string{"x:float32[2,3]"},
			consts: map[string]*tensor.Tensor{"t": i64s(-1, 4)},
			nodes:  []*graph.Node{nd("Reshape", "x,t", "y")}, err: "not divisible"},
		{name: "reshape runtime target", inputs: []string{"x:float32[2,3]", "t:int64[3]"},
			nodes: []*graph.Node{nd("Reshape", "x,t", "y")}, want: map[string]string{"y": "float32[?,?,?]"}},
		{name: "flatten", inputs: []string{"x:float32[N,3,4,5]"},
			nodes: []*graph.Node{nd("Flatten", "x", "a"), nd("Flatten", "x", "b", ai("axis", 2)), nd("Flatten", "x", "c", ai("axis", 0))},
			want:  map[string]string{"a": "float32[N,60]", "b": "float32[?,20]", "c": "float32[1,?]"}},
		{name: "transpose", inputs: []string{"x:float32[N,3,4]"},
			nodes: []*graph.Node{nd("Transpose", "x", "a", ais("perm", 2, 0, 1)), nd("Transpose", "x", "b")},
			want:  map[string]string{"a": "float32[4,N,3]", "b": "float32[4,3,N]"}},
		{name: "squeeze unsqueeze attrs", opset: 11, inputs: []string{"x:float32[N,1,4]"},
			nodes: []*graph.Node{nd("Squeeze", "x", "a", ais("axes", 1)), nd("Unsqueeze", "a", "b", ais("axes", 0, 3)), nd("Squeeze", "b", "c")},
			want:  map[string]string{"a": "float32[N,4]", "b": "float32[1,N,4,1]", "c": "float32[*]"}},
		{name: "squeeze unsqueeze inputs", opset: 13, inputs: []string{"x:float32[3,1,4]"},
			consts: map[string]*tensor.Tensor{"a1": i64s(-2), "a2": i64s(0, -1)},
			nodes:  []*graph.Node{nd("Squeeze", "x,a1", "a"), nd("Unsqueeze", "a,a2", "b"), nd("Squeeze", "b", "c")},
			want:   map[string]string{"a": "float32[3,4]", "b": "float32[1,3,4,1]", "c": "float32[3,4]"}},
		{name: "squeeze non-one", opset: 13, inputs: []string{"x:float32[3,2]"},
			consts: map[string]*tensor.Tensor{"a1": i64s(1)},
			nodes:  []*graph.Node{nd("Squeeze", "x,a1", "a")}, err: "not 1"},
		{name: "concat", inputs: []string{"a:float32[N,3]", "b:float32[N,5]", "c:float32[?,2]"},
			nodes: []*graph.Node{nd("Concat", "a,b", "x", ai("axis", 1)), nd("Concat", "a,c", "y", ai("axis", -1))},
			want:  map[string]string{"x": "float32[N,8]", "y": "float32[N,5]"}},
		{name: "concat symbolic axis", inputs: []string{"a:float32[N,3]", "b:float32[N,3]"},
			nodes: []*graph.Node{nd("Concat", "a,b", "x", ai("axis", 0))}, want: map[string]string{"x": "float32[?,3]"}},
		{name: "concat mismatch", inputs: []string{"a:float32[2,3]", "b:float32[4,5]"},
			nodes: []*graph.Node{nd("Concat", "a,b", "x", ai("axis", 1))}, err: "non-concatenated"},
		{name: "split input", opset: 13, inputs: []string{"x:float32[N,10]"},
			consts: map[string]*tensor.Tensor{"s": i64s(3, 7)},
			nodes:  []*graph.Node{nd("Split", "x,s", "a,b", ai("axis", 1)), nd("Split", "x", "c,d", ai("axis", -1))},
			want:   map[string]string{"a": "float32[N,3]", "b": "float32[N,7]", "c": "float32[N,5]", "d": "float32[N,5]"}},
		{name: "split attr", opset: 11, inputs: []string{"x:float32[6,N]"},
			nodes: []*graph.Node{nd("Split", "x", "a,b,c", ais("split", 1, 2, 3))},
			want:  map[string]string{"a": "float32[1,N]", "b": "float32[2,N]", "c": "float32[3,N]"}},
		{name: "split num_outputs", opset: 18, inputs: []string{"x:float32[7]"},
			nodes: []*graph.Node{nd("Split", "x", "a,b,c", ai("num_outputs", 3))},
			want:  map[string]string{"a": "float32[3]", "b": "float32[3]", "c": "float32[1]"}},
		{name: "split sum mismatch", opset: 13, inputs: []string{"x:float32[N,10]"},
			consts: map[string]*tensor.Tensor{"s": i64s(3, 6)},
			nodes:  []*graph.Node{nd("Split", "x,s", "a,b", ai("axis", 1))}, err: "sum to 9"},
		{name: "slice", inputs: []string{"x:float32[N,10,8]"},
			consts: map[string]*tensor.Tensor{"s": i64s(2), "e": i64s(-1), "a": i64s(1), "s2": i64s(-1), "e2": i64s(-100), "st": i64s(-1),
				"s3": i64s(1), "e3": i64s(9223372036854775807), "a3": i64s(2), "st3": i64s(3)},
			nodes: []*graph.Node{nd("Slice", "x,s,e,a", "y"), nd("Slice", "x,s2,e2,a,st", "z"), nd("Slice", "x,s3,e3,a3,st3", "w")},
			want:  map[string]string{"y": "float32[N,7,8]", "z": "float32[N,10,8]", "w": "float32[N,10,3]"}},
		{name: "slice attrs", opset: 9, inputs: []string{"x:float32[20,10,5]"},
			nodes: []*graph.Node{nd("Slice", "x", "y", ais("starts", 0, 0), ais("ends", 3, 10), ais("axes", 0, 1))},
			want:  map[string]string{"y": "float32[3,10,5]"}},
		{name: "slice of shape values", inputs: []string{"x:float32[N,S,256]"},
			consts: map[string]*tensor.Tensor{"s": i64s(0), "e": i64s(2), "t": i64s(-1)},
			nodes: []*graph.Node{nd("Shape", "x", "sh"), nd("Slice", "sh,s,e", "p"), nd("Concat", "p,t", "tg", ai("axis", 0)),
				nd("Reshape", "x,tg", "y")},
			want: map[string]string{"p": "int64[2]", "y": "float32[N,S,256]"}},
		{name: "position ids slice", opset: 13, inputs: []string{"ids:int64[N,S]"},
			consts: map[string]*tensor.Tensor{"pos": tensor.Zeros(tensor.Int64, 1, 128), "emb": tensor.Zeros(tensor.Float32, 100, 16),
				"pemb": tensor.Zeros(tensor.Float32, 128, 16), "i1": tensor.Scalar(int64(1)), "z": i64s(0), "one": i64s(1), "ax": i64s(0),
				"m1": i64s(-1, -1)},
			nodes: []*graph.Node{nd("Shape", "ids", "sh"), nd("Gather", "sh,i1", "s"), nd("Unsqueeze", "s,ax", "s1"),
				nd("Slice", "pos,z,s1,one,one", "p"), nd("Gather", "emb,ids", "e"), nd("Gather", "pemb,p", "pe"), nd("Add", "e,pe", "y"),
				// Where(shape == -1, 1, shape) as exporters write Expand targets.
				nd("Equal", "sh,m1", "eq"), nd("Where", "eq,one,sh", "tg"), nd("Expand", "p,tg", "x")},
			want: map[string]string{"p": "int64[1,?]", "pe": "float32[1,?,16]", "y": "float32[N,S,16]", "tg": "int64[2]", "x": "int64[N,S]"}},
		{name: "gather", inputs: []string{"ids:int64[N,S]", "x:float32[N,5,6]"},
			consts: map[string]*tensor.Tensor{"emb": tensor.Zeros(tensor.Float32, 8192, 256), "i": tensor.New([]int{2}, []int32{0, 3})},
			nodes:  []*graph.Node{nd("Gather", "emb,ids", "y"), nd("Gather", "x,i", "z", ai("axis", 1))},
			want:   map[string]string{"y": "float32[N,S,256]", "z": "float32[N,2,6]"}},
		{name: "shape size constantofshape", opset: 15, inputs: []string{"x:float32[2,3,N]"},
			nodes: []*graph.Node{nd("Shape", "x", "s", ai("end", -1)), nd("ConstantOfShape", "s", "c"), nd("Size", "x", "n"),
				nd("ConstantOfShape", "s", "d", at("value", tensor.New([]int{1}, []int64{7}))), nd("Shape", "x", "t", ai("start", 1)),
				nd("ConstantOfShape", "t", "e")},
			want: map[string]string{"s": "int64[2]", "c": "float32[2,3]", "n": "int64[]", "d": "int64[2,3]", "e": "float32[3,N]"}},
		{name: "expand tile", inputs: []string{"x:float32[3,1]", "y:float32[N,3]"},
			consts: map[string]*tensor.Tensor{"s": i64s(2, 1, 4), "r": i64s(1, 2)},
			nodes:  []*graph.Node{nd("Expand", "x,s", "a"), nd("Tile", "y,r", "b")},
			want:   map[string]string{"a": "float32[2,3,4]", "b": "float32[N,6]"}},
		{name: "expand mismatch", inputs: []string{"x:float32[3,2]"},
			consts: map[string]*tensor.Tensor{"s": i64s(3, 4)},
			nodes:  []*graph.Node{nd("Expand", "x,s", "a")}, err: "cannot be expanded"},
		{name: "constants and range",
			nodes: []*graph.Node{nd("Constant", "", "a", ais("value_ints", 1, 2, 3)), nd("Constant", "", "b", af("value_float", 1)),
				nd("Constant", "", "z", at("value", tensor.Scalar(int64(0)))), nd("Constant", "", "l", at("value", tensor.Scalar(int64(10)))),
				nd("Constant", "", "d", at("value", tensor.Scalar(int64(3)))), nd("Range", "z,l,d", "r"),
				nd("Constant", "", "fs", at("value", tensor.Scalar(float32(1)))), nd("Constant", "", "fl", at("value", tensor.Scalar(float32(2)))),
				nd("Constant", "", "fd", at("value", tensor.Scalar(float32(0.3)))), nd("Range", "fs,fl,fd", "q")},
			want: map[string]string{"a": "int64[3]", "b": "float32[]", "r": "int64[4]", "q": "float32[4]"}},
		{name: "pad", opset: 13, inputs: []string{"x:float32[N,3,8,8]"},
			consts: map[string]*tensor.Tensor{"p": i64s(0, 0, 1, 2, 0, 0, 1, 0)},
			nodes:  []*graph.Node{nd("Pad", "x,p", "y")}, want: map[string]string{"y": "float32[N,3,10,10]"}},
		{name: "pad attr", opset: 2, inputs: []string{"x:float32[N,4]"},
			nodes: []*graph.Node{nd("Pad", "x", "y", ais("pads", 0, 1, 0, 2))}, want: map[string]string{"y": "float32[N,7]"}},
		{name: "resize", opset: 13, inputs: []string{"x:float32[N,3,8,8]"},
			consts: map[string]*tensor.Tensor{"sc": f32s(1, 1, 2, 1.5), "sz": i64s(1, 3, 5, 7)},
			nodes:  []*graph.Node{nd("Resize", "x,,sc", "y"), nd("Resize", "x,,,sz", "z")},
			want:   map[string]string{"y": "float32[N,3,16,12]", "z": "float32[1,3,5,7]"}},
	})
}

func TestReduceAndRNN(t *testing.T) {
	runCases(t, []inferCase{
		{name: "reduce attr axes", opset: 13, inputs: []string{"x:float32[N,S,256]"},
			nodes: []*graph.Node{nd("ReduceMean", "x", "a", ais("axes", -1)), nd("ReduceMax", "x", "b", ai("keepdims", 0)),
				nd("ReduceL2", "x", "c", ais("axes", 0, 2), ai("keepdims", 0))},
			want: map[string]string{"a": "float32[N,S,1]", "b": "float32[]", "c": "float32[S]"}},
		{name: "reducesum input axes", opset: 13, inputs: []string{"x:float32[N,S,256]"},
			consts: map[string]*tensor.Tensor{"ax": i64s(1)},
			nodes:  []*graph.Node{nd("ReduceSum", "x,ax", "a", ai("keepdims", 0)), nd("ReduceSum", "x", "b", ai("noop_with_empty_axes", 1))},
			want:   map[string]string{"a": "float32[N,256]", "b": "float32[N,S,256]"}},
		{name: "reduce 18 input axes", opset: 18, inputs: []string{"x:float32[N,S,256]", "r:int64[1]"},
			consts: map[string]*tensor.Tensor{"ax": i64s(-1)},
			nodes:  []*graph.Node{nd("ReduceMean", "x,ax", "a"), nd("ReduceMean", "x,r", "b")},
			want:   map[string]string{"a": "float32[N,S,1]", "b": "float32[?,?,?]"}},
		{name: "argmax topk", opset: 11, inputs: []string{"x:float32[N,10]"},
			consts: map[string]*tensor.Tensor{"k": i64s(5)},
			nodes:  []*graph.Node{nd("ArgMax", "x", "a", ai("axis", 1), ai("keepdims", 0)), nd("ArgMin", "x", "b"), nd("TopK", "x,k", "v,i")},
			want:   map[string]string{"a": "int64[N]", "b": "int64[1,10]", "v": "float32[N,5]", "i": "int64[N,5]"}},
		{name: "lstm", inputs: []string{"x:float32[S,N,16]"},
			consts: map[string]*tensor.Tensor{"w": tensor.Zeros(tensor.Float32, 1, 128, 16), "r": tensor.Zeros(tensor.Float32, 1, 128, 32)},
			nodes:  []*graph.Node{nd("LSTM", "x,w,r", "y,h,c", ai("hidden_size", 32))},
			want:   map[string]string{"y": "float32[S,1,N,32]", "h": "float32[1,N,32]", "c": "float32[1,N,32]"}},
		{name: "gru bidirectional layout 1", inputs: []string{"x:float32[N,S,16]"},
			consts: map[string]*tensor.Tensor{"w": tensor.Zeros(tensor.Float32, 2, 24, 16), "r": tensor.Zeros(tensor.Float32, 2, 24, 8)},
			nodes:  []*graph.Node{nd("GRU", "x,w,r", "y,h", as("direction", "bidirectional"), ai("layout", 1))},
			want:   map[string]string{"y": "float32[N,S,2,8]", "h": "float32[N,2,8]"}},
		{name: "rnn direction mismatch", inputs: []string{"x:float32[S,N,16]"},
			consts: map[string]*tensor.Tensor{"w": tensor.Zeros(tensor.Float32, 2, 8, 16), "r": tensor.Zeros(tensor.Float32, 2, 8, 8)},
			nodes:  []*graph.Node{nd("RNN", "x,w,r", "y", ai("hidden_size", 8))}, err: "directions"},
	})
}

func TestUnknownAndDeclared(t *testing.T) {
	m := buildModel(t, inferCase{inputs: []string{"x:float32[N,4]"},
		nodes: []*graph.Node{nd("NonMaxSuppressionLike", "x", "a"), nd("Relu", "a", "b"), nd("Relu", "x", "c")}})
	res, err := infer(m, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Unknown, ","); got != "a,b" {
		t.Errorf("Unknown = %q, want a,b", got)
	}
	if got := typeStr(res.Types["c"]); got != "float32[N,4]" {
		t.Errorf("c: %s", got)
	}
	// Infer falls back on declared value_info for what the rules miss.
	m.Graph.ValueInfo = []graph.ValueInfo{{Name: "a", Type: parseType(t, "float32[N,2]")}}
	res, err = Infer(m)
	if err != nil {
		t.Fatal(err)
	}
	if got := typeStr(res.Types["b"]); got != "float32[N,2]" {
		t.Errorf("b with declared a: %s, want float32[N,2]", got)
	}
	if got := strings.Join(res.Unknown, ","); got != "" {
		t.Errorf("Unknown = %q, want none", got)
	}
	// A stale declared type that conflicts downstream is not a proven
	// inconsistency: Infer then ignores value_info.
	m.Graph.Nodes = append(m.Graph.Nodes, nd("Add", "b,x", "d"))
	if res, err = Infer(m); err != nil {
		t.Fatalf("stale value_info made Infer fail: %v", err)
	}
	if got := typeStr(res.Types["d"]); got != "float32[*]" {
		t.Errorf("d: %s, want float32[*]", got)
	}
}

// TestHostile: malformed nodes leave outputs unknown instead of panicking.
func TestHostile(t *testing.T) {
	m := buildModel(t, inferCase{inputs: []string{"x:float32[N,4]"},
		consts: map[string]*tensor.Tensor{"big": i64s(1<<62, 1<<62), "neg": i64s(-5)},
		nodes: []*graph.Node{nd("Transpose", "x", "a", ais("perm", 7, 9)), nd("Gather", "x", "b", ai("axis", 9)),
			nd("Reshape", "x", "c"), nd("Concat", "", "d"), nd("Conv", "x", "e"), nd("Tile", "x,big", "f"),
			nd("Slice", "x,neg", "g"), nd("Unsqueeze", "x", "h", ais("axes", 100)), nd("Split", "x", "i,j", ai("axis", 1)),
			nd("Einsum", "x", "k", as("equation", "ij,jk->ik")), nd("MaxPool", "x", "l", ais("kernel_shape", 0))}})
	res, err := infer(m, false)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing provable about these outputs but Split's halves.
	if got := typeStr(res.Types["i"]); got != "float32[N,2]" {
		t.Errorf("i: %s", got)
	}
}
