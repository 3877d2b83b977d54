// Command topk is a gonyx post plugin: logits → the k best classes.
//
// Input: one float tensor of logits, [N, C] or [C] (the "input" setting
// names it when the model has several outputs). Output: a JSON body
// {"predictions": [[{"index", "label", "score"}, …] per row]} and the
// tensors indices (INT64 [N, k]) and scores (FP32 [N, k]).
package main

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/sdk"
)

var settings struct {
	k       int
	labels  []string
	softmax bool
	input   string
}

func init() {
	sdk.Register(sdk.Plugin{
		Name: "topk", Version: "1.0.0", Kind: sdk.Post,
		Inputs: []sdk.Spec{{Name: "logits", Datatype: "FP32", Shape: []int64{-1, -1}}},
		Outputs: []sdk.Spec{{Name: "json", Datatype: "BYTES"},
			{Name: "indices", Datatype: "INT64", Shape: []int64{-1, -1}},
			{Name: "scores", Datatype: "FP32", Shape: []int64{-1, -1}}},
		Config: map[string]string{
			"k":       "how many classes per row (default 5)",
			"labels":  `"imagenet" (the ImageNet-1k names), or the class names one per line, or empty for none`,
			"softmax": "scores are softmax probabilities, not raw logits (default true)",
			"input":   "the tensor to read when the model has several outputs",
		},
		Init:    configure,
		Process: process,
	})
}

func configure(cfg sdk.Config) error {
	var err error
	if settings.k, err = cfg.Int("k", 5); err != nil {
		return err
	}
	if settings.k <= 0 {
		return fmt.Errorf("k must be positive, not %d", settings.k)
	}
	if settings.softmax, err = cfg.Bool("softmax", true); err != nil {
		return err
	}
	settings.labels = parseLabels(cfg.String("labels", ""))
	settings.input = cfg.String("input", "")
	return nil
}

type prediction struct {
	Index int     `json:"index"`
	Label string  `json:"label,omitempty"`
	Score float32 `json:"score"`
}

func process(in sdk.Input) (sdk.Output, error) {
	logits, err := pickTensor(in, settings.input)
	if err != nil {
		return sdk.Output{}, err
	}
	shape := logits.Shape()
	rows, classes := 1, 0
	switch len(shape) {
	case 1:
		classes = shape[0]
	case 2:
		rows, classes = shape[0], shape[1]
	default:
		return sdk.Output{}, fmt.Errorf("logits have shape %v, want [N, C] or [C]", shape)
	}
	if classes == 0 {
		return sdk.Output{}, fmt.Errorf("logits have shape %v: no classes", shape)
	}
	if n := len(settings.labels); n > 0 && n != classes {
		return sdk.Output{}, fmt.Errorf("%d labels for %d classes", n, classes)
	}
	vals, err := float32s(logits)
	if err != nil {
		return sdk.Output{}, err
	}
	idx, scores, err := topK(vals, rows, classes, settings.k, settings.softmax)
	if err != nil {
		return sdk.Output{}, err
	}
	k := min(settings.k, classes)
	preds := make([][]prediction, rows)
	flatIdx := make([]int64, 0, rows*k)
	flatScores := make([]float32, 0, rows*k)
	for r := range rows {
		preds[r] = make([]prediction, k)
		for j, i := range idx[r] {
			preds[r][j] = prediction{Index: i, Score: scores[r][j]}
			if settings.labels != nil {
				preds[r][j].Label = settings.labels[i]
			}
			flatIdx = append(flatIdx, int64(i))
			flatScores = append(flatScores, scores[r][j])
		}
	}
	return sdk.Output{}.
		JSON(map[string]any{"predictions": preds}).
		Tensor("indices", tensor.New([]int{rows, k}, flatIdx)).
		Tensor("scores", tensor.New([]int{rows, k}, flatScores)), nil
}

// pickTensor returns the tensor called name, or the only tensor when name
// is empty.
func pickTensor(in sdk.Input, name string) (*tensor.Tensor, error) {
	if name != "" {
		t, ok := in.Tensor(name)
		if !ok {
			return nil, fmt.Errorf("no tensor %q in the model's outputs %v", name, in.Names())
		}
		return t, nil
	}
	var found *tensor.Tensor
	for _, e := range in.Message() {
		if e.Tensor == nil {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("the model has several outputs %v: set input to the logits' name", in.Names())
		}
		found = e.Tensor
	}
	if found == nil {
		return nil, fmt.Errorf("no tensor in the input %v", in.Names())
	}
	return found, nil
}

// float32s accepts any float tensor; FP32 is used as it is.
func float32s(t *tensor.Tensor) ([]float32, error) {
	switch t.DType() {
	case tensor.Float32:
		return tensor.Data[float32](t), nil
	case tensor.Float16, tensor.BFloat16, tensor.Float64:
		v := t.Float64s()
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out, nil
	}
	return nil, fmt.Errorf("logits are %v, want a float tensor", t.DType())
}

func main() {}
