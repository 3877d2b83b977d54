// Package onnxpb decodes ONNX protobuf files (ModelProto, TensorProto,
// SequenceProto, OptionalProto) into the engine's plain IR (engine/graph,
// engine/tensor), and encodes tensors and values back.
//
// It reads the protobuf wire format directly with protowire: no generated
// bindings, no reflection. Every length and count is checked against the
// bytes actually present before anything is allocated, so hostile or
// truncated files produce errors, not panics or huge allocations.
//
// Field numbers follow onnx/onnx.proto and onnx/onnx-data.proto (IR versions
// 3 to 10; later fields are skipped like any unknown field).
package onnxpb

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// Options control DecodeModel.
type Options struct {
	// Dir is the folder of the model file, for external data (location
	// relative to it). "" = external data refused.
	Dir string
	// OwnBuffer: the decoder may modify buf in place (see zero-copy in
	// rawTo); set when buf was read by us. Large raw_data tensors then
	// alias buf instead of being copied, so buf must live as long as the
	// model and must not be modified by anyone else.
	OwnBuffer bool
}

// Nesting limits: a hostile file could otherwise nest subgraphs or types
// deeply enough to exhaust the stack.
const (
	maxGraphDepth = 64
	maxTypeDepth  = 64
)

type decoder struct {
	opts       Options
	bufLen     int
	graphDepth int
	typeDepth  int
}

// DecodeModel decodes a serialized ModelProto.
func DecodeModel(buf []byte, opts Options) (*graph.Model, error) {
	d := &decoder{opts: opts, bufLen: len(buf)}
	m, err := d.model(buf)
	if err != nil {
		return nil, fmt.Errorf("onnxpb: %w", err)
	}
	return m, nil
}

func (d *decoder) model(buf []byte) (*graph.Model, error) {
	const what = "ModelProto"
	m := &graph.Model{Opsets: map[string]int{}, Metadata: map[string]string{}}
	err := eachField(buf, what, func(f *field) error {
		var err error
		switch f.num {
		case 1:
			m.IRVersion, err = f.int64(what, "ir_version")
		case 2:
			m.ProducerName, err = f.str(what, "producer_name")
		case 3:
			m.ProducerVersion, err = f.str(what, "producer_version")
		case 4:
			m.Domain, err = f.str(what, "domain")
		case 5:
			m.ModelVersion, err = f.int64(what, "model_version")
		case 6:
			m.DocString, err = f.str(what, "doc_string")
		case 7:
			var b []byte
			if b, err = f.msg(what, "graph"); err == nil {
				m.Graph, err = d.graph(b)
			}
		case 8:
			var b []byte
			if b, err = f.msg(what, "opset_import"); err == nil {
				err = parseOpset(b, m.Opsets)
			}
		case 14:
			var b []byte
			if b, err = f.msg(what, "metadata_props"); err == nil {
				var kv [2]string
				if kv, err = parseStringPair(b); err == nil {
					m.Metadata[kv[0]] = kv[1]
				}
			}
		case 25:
			var b []byte
			if b, err = f.msg(what, "functions"); err == nil {
				var fn *graph.Function
				if fn, err = d.function(b); err != nil {
					err = fmt.Errorf("function %d: %w", len(m.Functions), err)
				} else {
					m.Functions = append(m.Functions, fn)
				}
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if m.Graph == nil {
		return nil, fmt.Errorf("the model has no graph (is this an ONNX model file?)")
	}
	if len(m.Opsets) == 0 && m.IRVersion < 3 {
		// Before IR 3 there was no opset_import: operator set 1 is implied.
		m.Opsets[""] = 1
	}
	return m, nil
}

// normDomain maps the default operator-set domain's long name to "".
func normDomain(s string) string {
	if s == "ai.onnx" {
		return ""
	}
	return s
}

// parseOpset decodes an OperatorSetIdProto {domain = 1, version = 2} into
// opsets.
func parseOpset(msg []byte, opsets map[string]int) error {
	const what = "OperatorSetIdProto"
	var domain string
	var version int64
	err := eachField(msg, what, func(f *field) error {
		var err error
		switch f.num {
		case 1:
			domain, err = f.str(what, "domain")
		case 2:
			version, err = f.int64(what, "version")
		}
		return err
	})
	if err != nil {
		return err
	}
	if version < 0 || version > math.MaxInt32 {
		return fmt.Errorf("opset_import for domain %q has invalid version %d", domain, version)
	}
	domain = normDomain(domain)
	if v, ok := opsets[domain]; !ok || int(version) > v {
		opsets[domain] = int(version)
	}
	return nil
}

func (d *decoder) graph(msg []byte) (*graph.Graph, error) {
	d.graphDepth++
	defer func() { d.graphDepth-- }()
	if d.graphDepth > maxGraphDepth {
		return nil, fmt.Errorf("subgraphs are nested more than %d deep", maxGraphDepth)
	}
	const what = "GraphProto"
	g := &graph.Graph{Initializers: map[string]*tensor.Tensor{}}
	addInit := func(name string, t *tensor.Tensor) error {
		if name == "" {
			return fmt.Errorf("initializer %d has no name", len(g.InitializerOrder))
		}
		if _, dup := g.Initializers[name]; dup {
			return fmt.Errorf("initializer %q is defined twice", name)
		}
		g.Initializers[name] = t
		g.InitializerOrder = append(g.InitializerOrder, name)
		return nil
	}
	err := eachField(msg, what, func(f *field) error {
		var err error
		var b []byte
		switch f.num {
		case 1:
			if b, err = f.msg(what, "node"); err == nil {
				var n *graph.Node
				if n, err = d.node(b); err != nil {
					return fmt.Errorf("node %d: %w", len(g.Nodes), err)
				}
				g.Nodes = append(g.Nodes, n)
			}
		case 2:
			g.Name, err = f.str(what, "name")
		case 5:
			if b, err = f.msg(what, "initializer"); err == nil {
				var t *tensor.Tensor
				var name string
				if t, name, err = d.tensor(b); err != nil {
					return fmt.Errorf("initializer: %w", err)
				}
				err = addInit(name, t)
			}
		case 15:
			if b, err = f.msg(what, "sparse_initializer"); err == nil {
				var t *tensor.Tensor
				var name string
				if t, name, err = d.sparseTensor(b); err != nil {
					return fmt.Errorf("sparse_initializer: %w", err)
				}
				err = addInit(name, t)
			}
		case 10:
			g.DocString, err = f.str(what, "doc_string")
		case 11, 12, 13:
			if b, err = f.msg(what, "value info"); err == nil {
				var vi graph.ValueInfo
				if vi, err = d.valueInfo(b); err != nil {
					return err
				}
				switch f.num {
				case 11:
					g.Inputs = append(g.Inputs, vi)
				case 12:
					g.Outputs = append(g.Outputs, vi)
				default:
					g.ValueInfo = append(g.ValueInfo, vi)
				}
			}
		}
		return err
	})
	if err != nil {
		if g.Name != "" {
			return nil, fmt.Errorf("graph %q: %w", g.Name, err)
		}
		return nil, fmt.Errorf("graph: %w", err)
	}
	return g, nil
}

func (d *decoder) node(msg []byte) (*graph.Node, error) {
	const what = "NodeProto"
	n := &graph.Node{Attrs: map[string]*graph.Attribute{}}
	err := eachField(msg, what, func(f *field) error {
		var err error
		switch f.num {
		case 1:
			var s string
			s, err = f.str(what, "input")
			n.Inputs = append(n.Inputs, s)
		case 2:
			var s string
			s, err = f.str(what, "output")
			n.Outputs = append(n.Outputs, s)
		case 3:
			n.Name, err = f.str(what, "name")
		case 4:
			n.OpType, err = f.str(what, "op_type")
		case 7:
			var s string
			s, err = f.str(what, "domain")
			n.Domain = normDomain(s)
		case 5:
			var b []byte
			if b, err = f.msg(what, "attribute"); err == nil {
				var a *graph.Attribute
				if a, err = d.attribute(b); err != nil {
					return err
				}
				if a.Name == "" {
					return fmt.Errorf("an attribute has no name")
				}
				if _, dup := n.Attrs[a.Name]; dup {
					return fmt.Errorf("attribute %q is given twice", a.Name)
				}
				n.Attrs[a.Name] = a
			}
		case 6:
			n.DocString, err = f.str(what, "doc_string")
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", n.OpType, n.Name, err)
	}
	return n, nil
}

// Attribute field numbers, used to infer a missing type.
const (
	attrFieldF            = 2
	attrFieldI            = 3
	attrFieldS            = 4
	attrFieldT            = 5
	attrFieldG            = 6
	attrFieldFloats       = 7
	attrFieldInts         = 8
	attrFieldStrings      = 9
	attrFieldTensors      = 10
	attrFieldGraphs       = 11
	attrFieldTP           = 14
	attrFieldTPs          = 15
	attrFieldSparse       = 22
	attrFieldSparseTensor = 23
)

// inferOrder maps value fields to the type they imply, for files written
// before AttributeProto.type existed.
var inferOrder = []struct {
	field int
	typ   graph.AttrType
}{
	{attrFieldF, graph.AttrFloat}, {attrFieldI, graph.AttrInt}, {attrFieldS, graph.AttrString},
	{attrFieldT, graph.AttrTensor}, {attrFieldG, graph.AttrGraph}, {attrFieldSparse, graph.AttrSparseTensor},
	{attrFieldTP, graph.AttrTypeProto}, {attrFieldFloats, graph.AttrFloats}, {attrFieldInts, graph.AttrInts},
	{attrFieldStrings, graph.AttrStrings}, {attrFieldTensors, graph.AttrTensors}, {attrFieldGraphs, graph.AttrGraphs},
	{attrFieldSparseTensor, graph.AttrSparseTensors}, {attrFieldTPs, graph.AttrTypeProtos},
}

// attribute decodes an AttributeProto. Sparse tensors are densified: a
// SPARSE_TENSOR attribute becomes a TENSOR one (T set) and SPARSE_TENSORS
// becomes TENSORS, so that kernels read them with the usual getters.
func (d *decoder) attribute(msg []byte) (*graph.Attribute, error) {
	const what = "AttributeProto"
	a := &graph.Attribute{}
	var seen uint32 // bit i set when field i was present (fields < 32)
	var typ int32
	var sparse, sparses []*tensor.Tensor
	err := eachField(msg, what, func(f *field) error {
		var err error
		var b []byte
		if f.num < 32 {
			seen |= 1 << uint(f.num)
		}
		switch f.num {
		case 1:
			a.Name, err = f.str(what, "name")
		case 21:
			a.RefAttrName, err = f.str(what, "ref_attr_name")
		case 20:
			typ, err = f.int32(what, "type")
		case attrFieldF:
			a.F, err = f.float32(what, "f")
		case attrFieldI:
			a.I, err = f.int64(what, "i")
		case attrFieldS:
			a.S, err = f.bytes(what, "s")
		case attrFieldT:
			if b, err = f.msg(what, "t"); err == nil {
				a.T, _, err = d.tensor(b)
			}
		case attrFieldG:
			if b, err = f.msg(what, "g"); err == nil {
				a.G, err = d.graph(b)
			}
		case attrFieldSparse:
			if b, err = f.msg(what, "sparse_tensor"); err == nil {
				var t *tensor.Tensor
				t, _, err = d.sparseTensor(b)
				sparse = append(sparse[:0], t)
			}
		case attrFieldTP:
			if b, err = f.msg(what, "tp"); err == nil {
				a.TP, err = d.typeProto(b)
			}
		case attrFieldFloats:
			a.Floats, err = appendFixed32s(a.Floats, f, what, "floats", asFloat32)
		case attrFieldInts:
			a.Ints, err = appendVarints(a.Ints, f, what, "ints", asInt64)
		case attrFieldStrings:
			if b, err = f.bytes(what, "strings"); err == nil {
				a.Strings = append(a.Strings, b)
			}
		case attrFieldTensors:
			if b, err = f.msg(what, "tensors"); err == nil {
				var t *tensor.Tensor
				if t, _, err = d.tensor(b); err == nil {
					a.Tensors = append(a.Tensors, t)
				}
			}
		case attrFieldGraphs:
			if b, err = f.msg(what, "graphs"); err == nil {
				var g *graph.Graph
				if g, err = d.graph(b); err == nil {
					a.Graphs = append(a.Graphs, g)
				}
			}
		case attrFieldSparseTensor:
			if b, err = f.msg(what, "sparse_tensors"); err == nil {
				var t *tensor.Tensor
				if t, _, err = d.sparseTensor(b); err == nil {
					sparses = append(sparses, t)
				}
			}
		case attrFieldTPs:
			if b, err = f.msg(what, "type_protos"); err == nil {
				var t *graph.Type
				if t, err = d.typeProto(b); err == nil {
					a.TPs = append(a.TPs, t)
				}
			}
		}
		return err
	})
	if err != nil {
		if a.Name != "" {
			return nil, fmt.Errorf("attribute %q: %w", a.Name, err)
		}
		return nil, fmt.Errorf("attribute: %w", err)
	}
	a.Type = graph.AttrType(typ)
	if a.Type == graph.AttrUndefined {
		for _, c := range inferOrder {
			if seen&(1<<uint(c.field)) != 0 {
				a.Type = c.typ
				break
			}
		}
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("attribute %q: %s", a.Name, fmt.Sprintf(format, args...))
	}
	ref := a.RefAttrName != ""
	switch a.Type {
	case graph.AttrUndefined:
		if !ref {
			return nil, bad("has no type and no value")
		}
	case graph.AttrFloat, graph.AttrInt, graph.AttrString, graph.AttrFloats, graph.AttrInts,
		graph.AttrStrings, graph.AttrTensors, graph.AttrGraphs, graph.AttrTypeProtos:
	case graph.AttrTensor:
		if a.T == nil && !ref {
			return nil, bad("has type TENSOR but no tensor")
		}
	case graph.AttrGraph:
		if a.G == nil && !ref {
			return nil, bad("has type GRAPH but no graph")
		}
	case graph.AttrTypeProto:
		if a.TP == nil && !ref {
			return nil, bad("has type TYPE_PROTO but no type")
		}
	case graph.AttrSparseTensor:
		if len(sparse) == 0 {
			if !ref {
				return nil, bad("has type SPARSE_TENSOR but no sparse_tensor")
			}
		} else {
			a.T = sparse[0]
		}
		a.Type = graph.AttrTensor
	case graph.AttrSparseTensors:
		a.Tensors = append(a.Tensors, sparses...)
		a.Type = graph.AttrTensors
	default:
		return nil, bad("has unknown type %d", typ)
	}
	return a, nil
}

func (d *decoder) valueInfo(msg []byte) (graph.ValueInfo, error) {
	const what = "ValueInfoProto"
	var vi graph.ValueInfo
	err := eachField(msg, what, func(f *field) error {
		var err error
		switch f.num {
		case 1:
			vi.Name, err = f.str(what, "name")
		case 2:
			var b []byte
			if b, err = f.msg(what, "type"); err == nil {
				vi.Type, err = d.typeProto(b)
			}
		case 3:
			vi.Doc, err = f.str(what, "doc_string")
		}
		return err
	})
	if err != nil {
		return vi, fmt.Errorf("value %q: %w", vi.Name, err)
	}
	return vi, nil
}

// typeProto decodes a TypeProto. An opaque type (or none) gives KindUnknown.
func (d *decoder) typeProto(msg []byte) (*graph.Type, error) {
	d.typeDepth++
	defer func() { d.typeDepth-- }()
	if d.typeDepth > maxTypeDepth {
		return nil, fmt.Errorf("types are nested more than %d deep", maxTypeDepth)
	}
	const what = "TypeProto"
	t := &graph.Type{}
	err := eachField(msg, what, func(f *field) error {
		var err error
		var b []byte
		switch f.num {
		case 1, 8: // tensor_type, sparse_tensor_type
			if b, err = f.msg(what, "tensor_type"); err == nil {
				*t = graph.Type{Kind: graph.KindTensor}
				if f.num == 8 {
					t.Kind = graph.KindSparseTensor
				}
				err = d.tensorType(b, t)
			}
		case 4, 9: // sequence_type, optional_type: {elem_type = 1}
			if b, err = f.msg(what, "sequence_type"); err == nil {
				*t = graph.Type{Kind: graph.KindSequence}
				if f.num == 9 {
					t.Kind = graph.KindOptional
				}
				err = eachField(b, what, func(f *field) error {
					if f.num != 1 {
						return nil
					}
					b, err := f.msg(what, "elem_type")
					if err == nil {
						t.Inner, err = d.typeProto(b)
					}
					return err
				})
			}
		case 5: // map_type {key_type = 1, value_type = 2}
			if b, err = f.msg(what, "map_type"); err == nil {
				*t = graph.Type{Kind: graph.KindMap}
				err = eachField(b, what, func(f *field) error {
					switch f.num {
					case 1:
						k, err := f.int32(what, "key_type")
						t.MapKey = tensor.DType(k)
						return err
					case 2:
						b, err := f.msg(what, "value_type")
						if err == nil {
							t.Inner, err = d.typeProto(b)
						}
						return err
					}
					return nil
				})
			}
		case 7: // opaque_type
			*t = graph.Type{Kind: graph.KindUnknown}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// tensorType decodes TypeProto.Tensor {elem_type = 1, shape = 2} into t.
func (d *decoder) tensorType(msg []byte, t *graph.Type) error {
	const what = "TypeProto.Tensor"
	return eachField(msg, what, func(f *field) error {
		switch f.num {
		case 1:
			e, err := f.int32(what, "elem_type")
			t.Elem = tensor.DType(e)
			return err
		case 2:
			b, err := f.msg(what, "shape")
			if err != nil {
				return err
			}
			t.Shape = []graph.Dim{}
			return eachField(b, "TensorShapeProto", func(f *field) error {
				if f.num != 1 {
					return nil
				}
				b, err := f.msg("TensorShapeProto", "dim")
				if err != nil {
					return err
				}
				dim, err := parseDim(b)
				t.Shape = append(t.Shape, dim)
				return err
			})
		}
		return nil
	})
}

// parseDim decodes TensorShapeProto.Dimension {dim_value = 1 | dim_param = 2}.
// A negative dim_value (some exporters write -1) is treated as unknown.
func parseDim(msg []byte) (graph.Dim, error) {
	const what = "TensorShapeProto.Dimension"
	dim := graph.Dim{Value: -1}
	err := eachField(msg, what, func(f *field) error {
		var err error
		switch f.num {
		case 1:
			var v int64
			if v, err = f.int64(what, "dim_value"); err == nil {
				dim = graph.Dim{Value: max(v, -1)}
			}
		case 2:
			var s string
			if s, err = f.str(what, "dim_param"); err == nil {
				dim = graph.Dim{Value: -1, Param: s}
			}
		}
		return err
	})
	return dim, err
}

// appendUnique appends s unless list holds it already.
func appendUnique(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

// function decodes a FunctionProto. Attributes lists every declared
// attribute name once, in file order: the plain `attribute` names and the
// names of the `attribute_proto` entries, whose values are also in
// AttributeDefaults.
func (d *decoder) function(msg []byte) (*graph.Function, error) {
	const what = "FunctionProto"
	fn := &graph.Function{Opsets: map[string]int{}}
	err := eachField(msg, what, func(f *field) error {
		var err error
		var s string
		var b []byte
		switch f.num {
		case 1:
			fn.Name, err = f.str(what, "name")
		case 10:
			fn.Domain, err = f.str(what, "domain")
		case 4:
			s, err = f.str(what, "input")
			fn.Inputs = append(fn.Inputs, s)
		case 5:
			s, err = f.str(what, "output")
			fn.Outputs = append(fn.Outputs, s)
		case 6:
			if s, err = f.str(what, "attribute"); err == nil {
				fn.Attributes = appendUnique(fn.Attributes, s)
			}
		case 11:
			if b, err = f.msg(what, "attribute_proto"); err == nil {
				var a *graph.Attribute
				if a, err = d.attribute(b); err != nil {
					return err
				}
				if a.Name == "" {
					return fmt.Errorf("an attribute_proto has no name")
				}
				if fn.AttributeDefaults == nil {
					fn.AttributeDefaults = map[string]*graph.Attribute{}
				}
				if _, dup := fn.AttributeDefaults[a.Name]; dup {
					return fmt.Errorf("attribute_proto %q is given twice", a.Name)
				}
				fn.AttributeDefaults[a.Name] = a
				fn.Attributes = appendUnique(fn.Attributes, a.Name)
			}
		case 7:
			if b, err = f.msg(what, "node"); err == nil {
				var n *graph.Node
				if n, err = d.node(b); err != nil {
					return fmt.Errorf("node %d: %w", len(fn.Nodes), err)
				}
				fn.Nodes = append(fn.Nodes, n)
			}
		case 9:
			if b, err = f.msg(what, "opset_import"); err == nil {
				err = parseOpset(b, fn.Opsets)
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%q (domain %q): %w", fn.Name, fn.Domain, err)
	}
	return fn, nil
}
