package onnxpb

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// Hand-encoded fixture builders for the ONNX messages (field numbers from
// onnx.proto).

func tensorType(elem int64, dims ...any) pb {
	tt := pb{}.int(1, elem)
	if dims != nil {
		var shape pb
		for _, d := range dims {
			switch d := d.(type) {
			case int:
				shape = shape.msg(1, pb{}.int(1, int64(d)))
			case string:
				shape = shape.msg(1, pb{}.str(2, d))
			case nil:
				shape = shape.msg(1, pb{})
			}
		}
		tt = tt.msg(2, shape)
	}
	return pb{}.msg(1, tt)
}

// emptyShape is a tensor type with a shape of rank 0 (a scalar).
func scalarType(elem int64) pb { return pb{}.msg(1, pb{}.int(1, elem).msg(2, pb{})) }

func valueInfo(name string, typ pb) pb { return pb{}.str(1, name).msg(2, typ) }

func attrGraph(name string, g pb) pb { return pb{}.str(1, name).int(20, 5).msg(6, g) }

// handMadeModel is a model using every message and field the decoder
// knows; nAttrs is the attribute count of its first node.
func handMadeModel() (model pb, nAttrs int) {
	sub := pb{}.msg(1, pb{}.str(2, "z").str(4, "Identity")).str(2, "sub")
	w := pb{}.dims(2).int(2, 1).str(8, "w").bytes(9, le32(0.5, -1))
	sparse := pb{}.msg(1, pb{}.dims(1).int(2, 7).str(8, "sp").packedVarints(7, 9)).
		msg(2, pb{}.dims(1).int(2, 7).packedVarints(7, 2)).packedVarints(3, 3)
	attrs := []pb{
		pb{}.str(1, "f").int(20, 1).float(2, 1.5),
		pb{}.str(1, "f_untyped").float(2, 2.5),
		pb{}.str(1, "i").int(20, 2).int(3, -3),
		pb{}.str(1, "i_untyped").int(3, 7),
		pb{}.str(1, "s").int(20, 3).str(4, "hello"),
		pb{}.str(1, "t").int(20, 4).msg(5, pb{}.dims(1).int(2, 7).packedVarints(7, 5)),
		attrGraph("g", sub),
		pb{}.str(1, "floats").int(20, 6).packedFloats(7, 1, 2).float(7, 3),
		pb{}.str(1, "ints").int(20, 7).packedVarints(8, 4, -5).int(8, 6),
		pb{}.str(1, "ints_untyped").packedVarints(8, 1),
		pb{}.str(1, "empty_ints").int(20, 7),
		pb{}.str(1, "strings").int(20, 8).str(9, "a").str(9, "bc"),
		pb{}.str(1, "tensors").int(20, 9).msg(10, pb{}.int(2, 7).int(7, 1)).msg(10, pb{}.int(2, 9).packedVarints(5, 1)),
		pb{}.str(1, "graphs").int(20, 10).msg(11, sub).msg(11, sub),
		pb{}.str(1, "sparse").int(20, 11).msg(22, sparse),
		pb{}.str(1, "sparses").int(20, 12).msg(23, sparse),
		pb{}.str(1, "tp").int(20, 13).msg(14, tensorType(1, 2)),
		pb{}.str(1, "tps").int(20, 14).msg(15, scalarType(7)).msg(15, pb{}.msg(4, pb{}.msg(1, tensorType(1)))),
		pb{}.str(1, "ref").int(20, 1).str(21, "alpha").str(13, "doc"),
	}
	node := pb{}.str(1, "x").str(1, "").str(1, "w").str(2, "y").str(3, "n1").str(4, "Custom").str(7, "ai.onnx").str(6, "node doc")
	for _, a := range attrs {
		node = node.msg(5, a)
	}
	g := pb{}.msg(1, node).
		msg(1, pb{}.str(1, "y").str(2, "q").str(4, "Relu").str(7, "com.example")).
		str(2, "main").
		msg(5, w).
		msg(15, sparse).
		str(10, "graph doc").
		msg(11, valueInfo("x", tensorType(1, "N", 3, nil)).str(3, "input doc")).
		msg(11, valueInfo("w", tensorType(1, 2))).
		msg(12, valueInfo("q", pb{}.msg(4, pb{}.msg(1, tensorType(1))))).
		msg(13, valueInfo("o", pb{}.msg(9, pb{}.msg(1, scalarType(7))))).
		msg(13, valueInfo("m", pb{}.msg(5, pb{}.int(1, 8).msg(2, tensorType(1))))).
		msg(13, valueInfo("s", pb{}.msg(8, pb{}.int(1, 1).msg(2, pb{}.msg(1, pb{}.int(1, 4)))))).
		msg(13, valueInfo("op", pb{}.msg(7, pb{}.str(1, "dom").str(2, "name")))).
		msg(13, valueInfo("neg", tensorType(1, -1))).
		msg(14, pb{}.str(1, "annotation"))
	fn := pb{}.str(1, "MyFn").str(10, "custom").str(4, "a").str(4, "b").str(5, "c").str(6, "alpha").
		msg(11, pb{}.str(1, "beta").int(20, 2).int(3, 4)).
		msg(7, pb{}.str(1, "a").str(1, "b").str(2, "c").str(4, "Add")).
		msg(7, pb{}.str(1, "c").str(2, "d").str(4, "LeakyRelu").msg(5, pb{}.str(1, "alpha").int(20, 1).str(21, "alpha"))).
		msg(9, pb{}.str(1, "").int(2, 18)).str(8, "fn doc")
	model = pb{}.int(1, 8).
		str(2, "gonyx-test").str(3, "0.1").str(4, "org.test").int(5, 3).str(6, "model doc").
		msg(7, g).
		msg(8, pb{}.str(1, "").int(2, 17)).
		msg(8, pb{}.str(1, "ai.onnx").int(2, 13)).
		msg(8, pb{}.str(1, "com.example").int(2, 1)).
		msg(14, pb{}.str(1, "k").str(2, "v")).
		msg(20, pb{}.msg(1, pb{})).
		msg(25, fn)

	return model, len(attrs)
}

func TestDecodeHandMadeModel(t *testing.T) {
	model, nAttrs := handMadeModel()
	m, err := DecodeModel(model, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "ir", m.IRVersion, int64(8))
	mustEqual(t, "producer", []string{m.ProducerName, m.ProducerVersion, m.Domain, m.DocString},
		[]string{"gonyx-test", "0.1", "org.test", "model doc"})
	mustEqual(t, "model version", m.ModelVersion, int64(3))
	mustEqual(t, "opsets", m.Opsets, map[string]int{"": 17, "com.example": 1})
	mustEqual(t, "metadata", m.Metadata, map[string]string{"k": "v"})

	gr := m.Graph
	mustEqual(t, "graph name", gr.Name, "main")
	mustEqual(t, "graph doc", gr.DocString, "graph doc")
	if len(gr.Nodes) != 2 {
		t.Fatalf("%d nodes", len(gr.Nodes))
	}
	n := gr.Nodes[0]
	mustEqual(t, "node", []string{n.Name, n.OpType, n.Domain, n.DocString}, []string{"n1", "Custom", "", "node doc"})
	mustEqual(t, "inputs", n.Inputs, []string{"x", "", "w"})
	mustEqual(t, "outputs", n.Outputs, []string{"y"})
	mustEqual(t, "node 2 domain", gr.Nodes[1].Domain, "com.example")
	mustEqual(t, "node 2 attrs", len(gr.Nodes[1].Attrs), 0)

	a := n.Attrs
	mustEqual(t, "attr count", len(a), nAttrs)
	check := func(name string, typ graph.AttrType) *graph.Attribute {
		t.Helper()
		at := a[name]
		if at == nil {
			t.Fatalf("attribute %q missing", name)
		}
		if at.Name != name || at.Type != typ {
			t.Fatalf("attribute %q: name %q type %d, want type %d", name, at.Name, at.Type, typ)
		}
		return at
	}
	mustEqual(t, "f", check("f", graph.AttrFloat).F, float32(1.5))
	mustEqual(t, "f_untyped", check("f_untyped", graph.AttrFloat).F, float32(2.5))
	mustEqual(t, "i", check("i", graph.AttrInt).I, int64(-3))
	mustEqual(t, "i_untyped", check("i_untyped", graph.AttrInt).I, int64(7))
	mustEqual(t, "s", check("s", graph.AttrString).S, []byte("hello"))
	checkTensor(t, check("t", graph.AttrTensor).T, tensor.Int64, []int{1}, []int64{5})
	sg := check("g", graph.AttrGraph).G
	if sg == nil || sg.Name != "sub" || len(sg.Nodes) != 1 || sg.Nodes[0].OpType != "Identity" {
		t.Fatalf("subgraph %+v", sg)
	}
	mustEqual(t, "floats", check("floats", graph.AttrFloats).Floats, []float32{1, 2, 3})
	mustEqual(t, "ints", check("ints", graph.AttrInts).Ints, []int64{4, -5, 6})
	mustEqual(t, "ints_untyped", check("ints_untyped", graph.AttrInts).Ints, []int64{1})
	mustEqual(t, "empty_ints", len(check("empty_ints", graph.AttrInts).Ints), 0)
	mustEqual(t, "strings", check("strings", graph.AttrStrings).Strings, [][]byte{[]byte("a"), []byte("bc")})
	ts := check("tensors", graph.AttrTensors).Tensors
	if len(ts) != 2 {
		t.Fatalf("%d tensors", len(ts))
	}
	checkTensor(t, ts[0], tensor.Int64, []int{}, []int64{1})
	checkTensor(t, ts[1], tensor.Bool, []int{}, []bool{true})
	mustEqual(t, "graphs", len(check("graphs", graph.AttrGraphs).Graphs), 2)
	checkTensor(t, check("sparse", graph.AttrTensor).T, tensor.Int64, []int{3}, []int64{0, 0, 9})
	sps := check("sparses", graph.AttrTensors).Tensors
	if len(sps) != 1 {
		t.Fatalf("%d sparse tensors", len(sps))
	}
	checkTensor(t, sps[0], tensor.Int64, []int{3}, []int64{0, 0, 9})
	mustEqual(t, "tp", check("tp", graph.AttrTypeProto).TP,
		&graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32, Shape: []graph.Dim{{Value: 2}}})
	tps := check("tps", graph.AttrTypeProtos).TPs
	mustEqual(t, "tps", tps, []*graph.Type{
		{Kind: graph.KindTensor, Elem: tensor.Int64, Shape: []graph.Dim{}},
		{Kind: graph.KindSequence, Inner: &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32}},
	})
	mustEqual(t, "ref", check("ref", graph.AttrFloat).RefAttrName, "alpha")

	mustEqual(t, "initializer order", gr.InitializerOrder, []string{"w", "sp"})
	checkTensor(t, gr.Initializers["w"], tensor.Float32, []int{2}, []float32{0.5, -1})
	checkTensor(t, gr.Initializers["sp"], tensor.Int64, []int{3}, []int64{0, 0, 9})

	mustEqual(t, "inputs", gr.Inputs, []graph.ValueInfo{
		{Name: "x", Doc: "input doc", Type: &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32,
			Shape: []graph.Dim{{Value: -1, Param: "N"}, {Value: 3}, {Value: -1}}}},
		{Name: "w", Type: &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32, Shape: []graph.Dim{{Value: 2}}}},
	})
	// A type without a shape has Shape nil (unknown rank).
	mustEqual(t, "outputs", gr.Outputs, []graph.ValueInfo{
		{Name: "q", Type: &graph.Type{Kind: graph.KindSequence, Inner: &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32}}},
	})
	if gr.Outputs[0].Type.Inner.Shape != nil {
		t.Fatal("missing shape decoded as non-nil")
	}
	mustEqual(t, "value info", gr.ValueInfo, []graph.ValueInfo{
		{Name: "o", Type: &graph.Type{Kind: graph.KindOptional, Inner: &graph.Type{Kind: graph.KindTensor, Elem: tensor.Int64, Shape: []graph.Dim{}}}},
		{Name: "m", Type: &graph.Type{Kind: graph.KindMap, MapKey: tensor.String, Inner: &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32}}},
		{Name: "s", Type: &graph.Type{Kind: graph.KindSparseTensor, Elem: tensor.Float32, Shape: []graph.Dim{{Value: 4}}}},
		{Name: "op", Type: &graph.Type{Kind: graph.KindUnknown}},
		{Name: "neg", Type: &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32, Shape: []graph.Dim{{Value: -1}}}},
	})
	if s := gr.ValueInfo[0].Type.Inner.Shape; s == nil || len(s) != 0 {
		t.Fatalf("empty shape decoded as %#v, want non-nil empty", s)
	}

	if len(m.Functions) != 1 {
		t.Fatalf("%d functions", len(m.Functions))
	}
	f := m.Functions[0]
	mustEqual(t, "fn", []string{f.Name, f.Domain}, []string{"MyFn", "custom"})
	mustEqual(t, "fn inputs", f.Inputs, []string{"a", "b"})
	mustEqual(t, "fn outputs", f.Outputs, []string{"c"})
	mustEqual(t, "fn attributes", f.Attributes, []string{"alpha", "beta"})
	mustEqual(t, "fn defaults", f.AttributeDefaults, map[string]*graph.Attribute{"beta": {Name: "beta", Type: graph.AttrInt, I: 4}})
	mustEqual(t, "fn opsets", f.Opsets, map[string]int{"": 18})
	if len(f.Nodes) != 2 || f.Nodes[1].Attrs["alpha"].RefAttrName != "alpha" {
		t.Fatalf("function nodes %+v", f.Nodes)
	}
}

func TestDecodeModelOldIR(t *testing.T) {
	// IR 2 had no opset_import: opset 1 is implied.
	m, err := DecodeModel(pb{}.int(1, 2).msg(7, pb{}.str(2, "g")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "opsets", m.Opsets, map[string]int{"": 1})
	if m.Graph.Initializers == nil || m.Graph.Nodes != nil {
		t.Fatalf("graph %+v", m.Graph)
	}
}

// nestedGraph builds a graph holding an If node whose then_branch holds
// another such graph, depth levels deep.
func nestedGraph(depth int) pb {
	g := pb{}.str(2, "leaf")
	for i := 1; i < depth; i++ {
		g = pb{}.msg(1, pb{}.str(1, "c").str(2, "o").str(4, "If").msg(5, attrGraph("then_branch", g))).str(2, "level")
	}
	return g
}

func nestedType(depth int) pb {
	t := tensorType(1)
	for i := 1; i < depth; i++ {
		t = pb{}.msg(4, pb{}.msg(1, t))
	}
	return t
}

func TestDecodeModelErrors(t *testing.T) {
	model := func(g pb) pb { return pb{}.int(1, 8).msg(8, pb{}.int(2, 17)).msg(7, g) }
	node := func(attrs ...pb) pb {
		n := pb{}.str(1, "x").str(2, "y").str(3, "bad_node").str(4, "Conv")
		for _, a := range attrs {
			n = n.msg(5, a)
		}
		return pb{}.msg(1, pb{}.str(4, "Relu")).msg(1, n).str(2, "main")
	}
	w := pb{}.dims(1).int(2, 1).str(8, "w").packedFloats(4, 1)
	cases := []struct {
		name string
		buf  pb
		want []string
	}{
		{"empty", pb{}, []string{"no graph"}},
		{"not protobuf", pb("hello world, this is not ONNX"), []string{"malformed"}},
		{"graph as varint", pb{}.int(7, 1), []string{"graph", "wire type"}},
		{"truncated", model(node())[:20], []string{"malformed"}},
		{"deep graphs", model(nestedGraph(maxGraphDepth + 5)), []string{"nested more than 64"}},
		{"deep types", model(pb{}.msg(11, valueInfo("x", nestedType(maxTypeDepth+5)))), []string{"types are nested more than 64"}},
		{"duplicate initializer", model(pb{}.msg(5, w).msg(5, w)), []string{`initializer "w" is defined twice`}},
		{"unnamed initializer", model(pb{}.msg(5, pb{}.dims(1).int(2, 1).packedFloats(4, 1))), []string{"no name"}},
		{"bad initializer", model(pb{}.msg(5, pb{}.dims(3).int(2, 1).str(8, "w").packedFloats(4, 1))), []string{`tensor "w"`, "needs 3 elements"}},
		{"bad sparse initializer", model(pb{}.msg(15, pb{}.msg(1, w))), []string{"sparse_initializer", "indices are missing"}},
		{"duplicate attribute", model(node(pb{}.str(1, "a").int(20, 2).int(3, 1), pb{}.str(1, "a").int(20, 2).int(3, 1))),
			[]string{"node 1", `Conv "bad_node"`, `attribute "a" is given twice`}},
		{"attribute without name", model(node(pb{}.int(20, 2).int(3, 1))), []string{"no name"}},
		{"tensor attribute without tensor", model(node(pb{}.str(1, "value").int(20, 4))), []string{`"value"`, "no tensor"}},
		{"graph attribute without graph", model(node(pb{}.str(1, "body").int(20, 5))), []string{"no graph"}},
		{"type attribute without type", model(node(pb{}.str(1, "tp").int(20, 13))), []string{"no type"}},
		{"sparse attribute without value", model(node(pb{}.str(1, "sp").int(20, 11))), []string{"no sparse_tensor"}},
		{"unknown attribute type", model(node(pb{}.str(1, "a").int(20, 99))), []string{"unknown type 99"}},
		{"attribute without value", model(node(pb{}.str(1, "a"))), []string{"no type and no value"}},
		{"bad attribute tensor", model(node(pb{}.str(1, "value").int(20, 4).msg(5, pb{}.dims(2).int(2, 1)))), []string{`attribute "value"`, "no data"}},
		{"float attribute wire type", model(node(pb{}.str(1, "alpha").int(20, 1).int(2, 1))), []string{`attribute "alpha"`, "wire type"}},
		{"bad opset version", pb{}.msg(8, pb{}.int(2, -1)).msg(7, pb{}), []string{"invalid version"}},
		{"bad function", pb{}.msg(7, pb{}).msg(25, pb{}.str(1, "F").msg(7, pb{}.int(4, 1))), []string{"function 0", `"F"`, "wire type"}},
		{"bad dim", model(pb{}.msg(11, valueInfo("x", pb{}.msg(1, pb{}.msg(2, pb{}.msg(1, pb{}.str(1, "x"))))))), []string{`value "x"`, "dim_value"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeModel(c.buf, Options{})
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	// Nesting within the limit is fine.
	if _, err := DecodeModel(model(nestedGraph(maxGraphDepth)), Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeModel(model(pb{}.msg(11, valueInfo("x", nestedType(maxTypeDepth)))), Options{}); err != nil {
		t.Fatal(err)
	}
}

func readModel(t *testing.T, rel string, opts Options) *graph.Model {
	t.Helper()
	buf := readTestFile(t, rel)
	m, err := DecodeModel(buf, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDecodeTestAdd(t *testing.T) {
	m := readModel(t, "node/test_add/model.onnx", Options{})
	mustEqual(t, "ir", m.IRVersion, int64(7))
	mustEqual(t, "opsets", m.Opsets, map[string]int{"": 14})
	mustEqual(t, "producer", m.ProducerName, "backend-test")
	g := m.Graph
	mustEqual(t, "name", g.Name, "test_add")
	if len(g.Nodes) != 1 {
		t.Fatalf("%d nodes", len(g.Nodes))
	}
	n := g.Nodes[0]
	mustEqual(t, "node", []any{n.OpType, n.Domain, n.Inputs, n.Outputs}, []any{"Add", "", []string{"x", "y"}, []string{"sum"}})
	typ := &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32, Shape: []graph.Dim{{Value: 3}, {Value: 4}, {Value: 5}}}
	mustEqual(t, "inputs", g.Inputs, []graph.ValueInfo{{Name: "x", Type: typ}, {Name: "y", Type: typ}})
	mustEqual(t, "outputs", g.Outputs, []graph.ValueInfo{{Name: "sum", Type: typ}})
}

func TestDecodeTestIf(t *testing.T) {
	m := readModel(t, "node/test_if/model.onnx", Options{})
	mustEqual(t, "opsets", m.Opsets, map[string]int{"": 11})
	g := m.Graph
	mustEqual(t, "cond input", g.Inputs, []graph.ValueInfo{{Name: "cond", Type: &graph.Type{Kind: graph.KindTensor, Elem: tensor.Bool, Shape: []graph.Dim{}}}})
	n := g.Nodes[0]
	mustEqual(t, "op", n.OpType, "If")
	for _, c := range []struct {
		attr, name, out string
		vals            []float32
	}{
		{"then_branch", "then_body", "then_out", []float32{1, 2, 3, 4, 5}},
		{"else_branch", "else_body", "else_out", []float32{5, 4, 3, 2, 1}},
	} {
		a := n.Attrs[c.attr]
		if a == nil || a.Type != graph.AttrGraph || a.G == nil {
			t.Fatalf("%s: %+v", c.attr, a)
		}
		mustEqual(t, c.attr+" name", a.G.Name, c.name)
		mustEqual(t, c.attr+" outputs", a.G.Outputs, []graph.ValueInfo{{Name: c.out,
			Type: &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32, Shape: []graph.Dim{{Value: 5}}}}})
		cn := a.G.Nodes[0]
		mustEqual(t, "constant", cn.OpType, "Constant")
		checkTensor(t, cn.Attrs["value"].T, tensor.Float32, []int{5}, c.vals)
	}
}

func TestDecodeTestLoop11(t *testing.T) {
	m := readModel(t, "node/test_loop11/model.onnx", Options{OwnBuffer: true})
	n := m.Graph.Nodes[0]
	mustEqual(t, "loop", []any{n.OpType, n.Inputs, n.Outputs},
		[]any{"Loop", []string{"trip_count", "cond", "y"}, []string{"res_y", "res_scan"}})
	body := n.Attrs["body"].G
	var ops []string
	for _, bn := range body.Nodes {
		ops = append(ops, bn.OpType)
	}
	mustEqual(t, "body ops", ops, []string{"Identity", "Constant", "Constant", "Add", "Unsqueeze", "Unsqueeze", "Slice", "Add", "Identity"})
	mustEqual(t, "body name", body.Name, "loop_body")
	var ins []string
	for _, vi := range body.Inputs {
		ins = append(ins, vi.Name)
	}
	mustEqual(t, "body inputs", ins, []string{"iter_count", "cond_in", "y_in"})
	checkTensor(t, body.Nodes[1].Attrs["value"].T, tensor.Float32, []int{5}, []float32{1, 2, 3, 4, 5})
	checkTensor(t, body.Nodes[2].Attrs["value"].T, tensor.Int64, []int{}, []int64{1})
	mustEqual(t, "axes", body.Nodes[4].Attrs["axes"].Ints, []int64{0})
	mustEqual(t, "axes type", body.Nodes[4].Attrs["axes"].Type, graph.AttrInts)
}

// sharedModelsDir is ../shared/models beside the repository (override with
// GONYX_SHARED_MODELS).
func sharedModelsDir() string {
	if d := os.Getenv("GONYX_SHARED_MODELS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "shared", "models")
}

// sharedModel reads a model of ../shared/models: the test fails when it
// is missing under CI=true and is skipped otherwise.
func sharedModel(t testing.TB, name string) (string, []byte) {
	t.Helper()
	path := filepath.Join(sharedModelsDir(), name, "model.onnx")
	buf, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared model missing: %v", err)
		}
		t.Skipf("shared model missing: %v", err)
	}
	return path, buf
}

func TestDecodeMLPTabular(t *testing.T) {
	_, buf := sharedModel(t, "mlp_tabular")
	mb, err := os.ReadFile(filepath.Join(sharedModelsDir(), "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Models []struct {
			Name   string
			Opset  int
			Params int
			Inputs []struct {
				Name     string
				ElemType string `json:"elem_type"`
				Shape    []any
			}
			Outputs []struct{ Name string }
			OpTypes []string `json:"op_types"`
		}
	}
	if err := json.Unmarshal(mb, &manifest); err != nil {
		t.Fatal(err)
	}
	for _, own := range []bool{false, true} {
		b := append([]byte{}, buf...)
		m, err := DecodeModel(b, Options{OwnBuffer: own})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range manifest.Models {
			if e.Name != "mlp_tabular" {
				continue
			}
			mustEqual(t, "opset", m.Opsets[""], e.Opset)
			ops := map[string]bool{}
			for _, n := range m.Graph.Nodes {
				ops[n.OpType] = true
			}
			var got []string
			for op := range ops {
				got = append(got, op)
			}
			sort.Strings(got)
			mustEqual(t, "op types", got, e.OpTypes)
			var in []string
			for _, vi := range m.Graph.Inputs {
				if _, isInit := m.Graph.Initializers[vi.Name]; !isInit {
					in = append(in, vi.Name)
				}
			}
			mustEqual(t, "inputs", in, []string{e.Inputs[0].Name})
			mustEqual(t, "features type", m.Graph.Inputs[0].Type, &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32,
				Shape: []graph.Dim{{Value: -1, Param: "N"}, {Value: 64}}})
			mustEqual(t, "output", m.Graph.Outputs[0].Name, e.Outputs[0].Name)
			params := 0
			for _, w := range m.Graph.Initializers {
				params += w.Len()
			}
			mustEqual(t, "params", params, e.Params)
		}
	}
}

// EncodeModel writes everything DecodeModel reads: decoding its output
// gives the same IR, and encoding is a fixed point.
func TestEncodeModelRoundTrip(t *testing.T) {
	hand, _ := handMadeModel()
	for _, buf := range [][]byte{hand, readTestFile(t, "node/test_loop11/model.onnx"), readTestFile(t, "node/test_if/model.onnx")} {
		m1, err := DecodeModel(buf, Options{})
		if err != nil {
			t.Fatal(err)
		}
		enc := EncodeModel(m1)
		m2, err := DecodeModel(enc, Options{})
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "model", m2, m1)
		if enc2 := EncodeModel(m2); !bytes.Equal(enc2, enc) {
			t.Fatal("EncodeModel is not a fixed point")
		}
	}
}

// An IR built in memory (no InitializerOrder) encodes to a loadable model.
func TestEncodeModelFromIR(t *testing.T) {
	in := &graph.Model{
		IRVersion: 8,
		Opsets:    map[string]int{"": 17},
		Graph: &graph.Graph{
			Name:         "g",
			Inputs:       []graph.ValueInfo{{Name: "x", Type: &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32, Shape: []graph.Dim{{Value: -1, Param: "N"}, {Value: 3}}}}},
			Outputs:      []graph.ValueInfo{{Name: "y"}},
			Initializers: map[string]*tensor.Tensor{"b": tensor.New([]int{3}, []float32{1, -1, 0.5}), "a": tensor.New([]int{}, []int64{2})},
			Nodes: []*graph.Node{
				{OpType: "Add", Inputs: []string{"x", "b"}, Outputs: []string{"s"}},
				{OpType: "LeakyRelu", Inputs: []string{"s"}, Outputs: []string{"y"}, Attrs: map[string]*graph.Attribute{"alpha": {Name: "alpha", Type: graph.AttrFloat, F: 0}}},
			},
		},
	}
	m, err := DecodeModel(EncodeModel(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "ir", m.IRVersion, int64(8))
	mustEqual(t, "order", m.Graph.InitializerOrder, []string{"a", "b"})
	checkTensor(t, m.Graph.Initializers["b"], tensor.Float32, []int{3}, []float32{1, -1, 0.5})
	mustEqual(t, "alpha", m.Graph.Nodes[1].Attrs["alpha"], &graph.Attribute{Name: "alpha", Type: graph.AttrFloat, F: 0})
	mustEqual(t, "inputs", m.Graph.Inputs, in.Graph.Inputs)
	mustEqual(t, "output", m.Graph.Outputs, []graph.ValueInfo{{Name: "y"}})
}
