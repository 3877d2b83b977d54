package onnxpb

import (
	"math"
	"sort"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gonyx/gonyx/engine/graph"
)

// EncodeModel serializes a model as an ONNX ModelProto. Initializers are
// written with raw_data. Map iteration order never leaks into the bytes
// (opsets, metadata and attributes are sorted), so the same model always
// encodes to the same bytes — the demo models and test fixtures rely on it.
func EncodeModel(m *graph.Model) []byte {
	var b []byte
	b = emVarint(b, 1, uint64(m.IRVersion))
	b = emString(b, 2, m.ProducerName)
	b = emString(b, 3, m.ProducerVersion)
	b = emString(b, 4, m.Domain)
	if m.ModelVersion != 0 {
		b = emVarint(b, 5, uint64(m.ModelVersion))
	}
	b = emString(b, 6, m.DocString)
	if m.Graph != nil {
		b = emMessage(b, 7, emGraph(nil, m.Graph))
	}
	b = emOpsets(b, 8, m.Opsets)
	for _, k := range emSortedKeys(m.Metadata) {
		var e []byte
		e = emString(e, 1, k)
		e = emString(e, 2, m.Metadata[k])
		b = emMessage(b, 14, e)
	}
	for _, f := range m.Functions {
		b = emMessage(b, 25, emFunction(nil, f))
	}
	return b
}

func emOpsets(b []byte, field protowire.Number, opsets map[string]int) []byte {
	for _, d := range emSortedKeys(opsets) {
		var e []byte
		e = emString(e, 1, d)
		e = protowire.AppendTag(e, 2, protowire.VarintType)
		e = protowire.AppendVarint(e, uint64(opsets[d]))
		b = emMessage(b, field, e)
	}
	return b
}

func emGraph(b []byte, g *graph.Graph) []byte {
	for _, n := range g.Nodes {
		b = emMessage(b, 1, emNode(nil, n))
	}
	b = emString(b, 2, g.Name)
	names := g.InitializerOrder
	if len(names) != len(g.Initializers) {
		names = emSortedKeys(g.Initializers)
	}
	for _, name := range names {
		b = emMessage(b, 5, EncodeTensor(name, g.Initializers[name]))
	}
	b = emString(b, 10, g.DocString)
	for _, v := range g.Inputs {
		b = emMessage(b, 11, emValueInfo(nil, v))
	}
	for _, v := range g.Outputs {
		b = emMessage(b, 12, emValueInfo(nil, v))
	}
	for _, v := range g.ValueInfo {
		b = emMessage(b, 13, emValueInfo(nil, v))
	}
	return b
}

func emNode(b []byte, n *graph.Node) []byte {
	for _, in := range n.Inputs {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, in)
	}
	for _, o := range n.Outputs {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, o)
	}
	b = emString(b, 3, n.Name)
	b = emString(b, 4, n.OpType)
	for _, k := range emSortedKeys(n.Attrs) {
		b = emMessage(b, 5, emAttribute(nil, n.Attrs[k]))
	}
	b = emString(b, 6, n.DocString)
	b = emString(b, 7, n.Domain)
	return b
}

func emAttribute(b []byte, a *graph.Attribute) []byte {
	b = emString(b, 1, a.Name)
	switch a.Type {
	case graph.AttrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case graph.AttrInt:
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.I))
	case graph.AttrString:
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendBytes(b, a.S)
	case graph.AttrTensor:
		if a.T != nil {
			b = emMessage(b, 5, EncodeTensor("", a.T))
		}
	case graph.AttrGraph:
		if a.G != nil {
			b = emMessage(b, 6, emGraph(nil, a.G))
		}
	case graph.AttrFloats:
		for _, f := range a.Floats {
			b = protowire.AppendTag(b, 7, protowire.Fixed32Type)
			b = protowire.AppendFixed32(b, math.Float32bits(f))
		}
	case graph.AttrInts:
		for _, i := range a.Ints {
			b = protowire.AppendTag(b, 8, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(i))
		}
	case graph.AttrStrings:
		for _, s := range a.Strings {
			b = protowire.AppendTag(b, 9, protowire.BytesType)
			b = protowire.AppendBytes(b, s)
		}
	case graph.AttrTensors:
		for _, t := range a.Tensors {
			b = emMessage(b, 10, EncodeTensor("", t))
		}
	case graph.AttrGraphs:
		for _, g := range a.Graphs {
			b = emMessage(b, 11, emGraph(nil, g))
		}
	case graph.AttrTypeProto:
		if a.TP != nil {
			b = emMessage(b, 14, emType(nil, a.TP))
		}
	case graph.AttrTypeProtos:
		for _, t := range a.TPs {
			b = emMessage(b, 15, emType(nil, t))
		}
	}
	b = protowire.AppendTag(b, 20, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(a.Type))
	b = emString(b, 21, a.RefAttrName)
	return b
}

func emValueInfo(b []byte, v graph.ValueInfo) []byte {
	b = emString(b, 1, v.Name)
	if v.Type != nil {
		b = emMessage(b, 2, emType(nil, v.Type))
	}
	b = emString(b, 3, v.Doc)
	return b
}

func emType(b []byte, t *graph.Type) []byte {
	switch t.Kind {
	case graph.KindTensor, graph.KindSparseTensor:
		var e []byte
		e = protowire.AppendTag(e, 1, protowire.VarintType)
		e = protowire.AppendVarint(e, uint64(t.Elem))
		if t.Shape != nil {
			var s []byte
			for _, d := range t.Shape {
				var de []byte
				switch {
				case d.Param != "":
					de = emString(de, 2, d.Param)
				case d.Value >= 0:
					de = protowire.AppendTag(de, 1, protowire.VarintType)
					de = protowire.AppendVarint(de, uint64(d.Value))
				}
				s = emMessage(s, 1, de)
			}
			e = emMessage(e, 2, s)
		}
		field := protowire.Number(1)
		if t.Kind == graph.KindSparseTensor {
			field = 8
		}
		b = emMessage(b, field, e)
	case graph.KindSequence, graph.KindOptional:
		var e []byte
		if t.Inner != nil {
			e = emMessage(e, 1, emType(nil, t.Inner))
		}
		field := protowire.Number(4)
		if t.Kind == graph.KindOptional {
			field = 9
		}
		b = emMessage(b, field, e)
	case graph.KindMap:
		var e []byte
		e = protowire.AppendTag(e, 1, protowire.VarintType)
		e = protowire.AppendVarint(e, uint64(t.MapKey))
		if t.Inner != nil {
			e = emMessage(e, 2, emType(nil, t.Inner))
		}
		b = emMessage(b, 5, e)
	}
	return b
}

func emFunction(b []byte, f *graph.Function) []byte {
	b = emString(b, 1, f.Name)
	for _, s := range f.Inputs {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	for _, s := range f.Outputs {
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	for _, s := range f.Attributes {
		b = protowire.AppendTag(b, 6, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	for _, n := range f.Nodes {
		b = emMessage(b, 7, emNode(nil, n))
	}
	b = emOpsets(b, 9, f.Opsets)
	b = emString(b, 10, f.Domain)
	for _, k := range emSortedKeys(f.AttributeDefaults) {
		b = emMessage(b, 11, emAttribute(nil, f.AttributeDefaults[k]))
	}
	return b
}

func emString(b []byte, field protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func emVarint(b []byte, field protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, field, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func emMessage(b []byte, field protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func emSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
