// Package graph is the engine's plain-Go model of an ONNX model: graphs,
// nodes, attributes and value types, with no protobuf types in sight. The
// decoder (engine/onnxpb) fills it; the executor and the optimisation passes
// read and rewrite it.
package graph

import "github.com/gonyx/gonyx/engine/tensor"

// Model is a decoded ONNX ModelProto.
type Model struct {
	IRVersion       int64
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	DocString       string
	// Opsets maps an operator-set domain ("" for ai.onnx) to its imported version.
	Opsets   map[string]int
	Metadata map[string]string
	Graph    *Graph
	// Functions are model-local functions (IR ≥ 8), keyed by domain and name.
	Functions []*Function
}

// Graph is a computation graph: the main one or an If/Loop/Scan body.
type Graph struct {
	Name string
	// Nodes in the order the file lists them (ONNX requires topological order;
	// the executor checks it).
	Nodes   []*Node
	Inputs  []ValueInfo
	Outputs []ValueInfo
	// ValueInfo holds optional type information for intermediate values.
	ValueInfo []ValueInfo
	// Initializers are constant tensors by name. A name that is also in
	// Inputs is a default the caller may override.
	Initializers map[string]*tensor.Tensor
	// InitializerOrder keeps file order for tools that print the model.
	// (Sparse initializers are densified by the decoder into Initializers.)
	InitializerOrder []string
	DocString        string
}

// Node is one operator application.
type Node struct {
	Name   string
	OpType string
	Domain string // "" means ai.onnx
	// Inputs and Outputs are value names; "" marks an absent optional one.
	Inputs    []string
	Outputs   []string
	Attrs     map[string]*Attribute
	DocString string
}

// AttrType is ONNX's AttributeProto.AttributeType.
type AttrType int32

// Attribute types.
const (
	AttrUndefined     AttrType = 0
	AttrFloat         AttrType = 1
	AttrInt           AttrType = 2
	AttrString        AttrType = 3
	AttrTensor        AttrType = 4
	AttrGraph         AttrType = 5
	AttrSparseTensor  AttrType = 11
	AttrTypeProto     AttrType = 13
	AttrFloats        AttrType = 6
	AttrInts          AttrType = 7
	AttrStrings       AttrType = 8
	AttrTensors       AttrType = 9
	AttrGraphs        AttrType = 10
	AttrSparseTensors AttrType = 12
	AttrTypeProtos    AttrType = 14
)

// Attribute is a node attribute. Only the field matching Type is meaningful.
type Attribute struct {
	Name    string
	Type    AttrType
	F       float32
	I       int64
	S       []byte
	T       *tensor.Tensor
	G       *Graph
	TP      *Type
	Floats  []float32
	Ints    []int64
	Strings [][]byte
	Tensors []*tensor.Tensor
	Graphs  []*Graph
	TPs     []*Type
	// RefAttrName is set inside function bodies: the attribute takes the
	// value of the calling node's attribute of this name.
	RefAttrName string
}

// ValueInfo names a value and gives its type, if known.
type ValueInfo struct {
	Name string
	Type *Type
	Doc  string
}

// TypeKind tells which of Type's fields applies.
type TypeKind int

// Kinds of value types.
const (
	KindUnknown TypeKind = iota
	KindTensor
	KindSequence
	KindOptional
	KindMap
	KindSparseTensor
)

// Type is an ONNX TypeProto.
type Type struct {
	Kind TypeKind
	// Elem is the element type of a tensor (KindTensor, KindSparseTensor).
	Elem tensor.DType
	// Shape is nil when the rank is unknown.
	Shape []Dim
	// Inner is the element type of a sequence or optional.
	Inner *Type
	// MapKey is the key dtype of a map; Inner its value type.
	MapKey tensor.DType
}

// Dim is one dimension of a declared shape: a fixed size, a symbolic name,
// or neither (unknown).
type Dim struct {
	Value int64 // -1 when not fixed
	Param string
}

// Function is a model-local function (FunctionProto).
type Function struct {
	Name       string
	Domain     string
	Inputs     []string
	Outputs    []string
	Attributes []string
	// AttributeDefaults holds attribute_proto defaults (IR ≥ 9).
	AttributeDefaults map[string]*Attribute
	Nodes             []*Node
	Opsets            map[string]int
}
