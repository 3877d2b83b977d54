package main

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/plugins/sdk"
)

// Softmax values worked outside this code: softmax(1,2,3) =
// (0.09003057, 0.24472847, 0.66524096); softmax(5,-1,5,3) =
// (0.46776753, 0.00115948, 0.46776753, 0.06330545).

func near(a, b float32) bool { return math.Abs(float64(a-b)) < 1e-6 }

func TestTopK(t *testing.T) {
	idx, scores, err := topK([]float32{1, 2, 3, 5, -1, 5, 3}, 1, 3, 2, true)
	if err == nil {
		t.Fatalf("7 values for 1×3 accepted: %v %v", idx, scores)
	}
	idx, scores, err = topK([]float32{1, 2, 3, 3, 1, 2}, 2, 3, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]int{{2, 1}, {0, 2}}; !reflect.DeepEqual(idx, want) {
		t.Fatalf("indices %v, want %v", idx, want)
	}
	want := [][]float32{{0.66524096, 0.24472847}, {0.66524096, 0.24472847}}
	for r := range want {
		for j := range want[r] {
			if !near(scores[r][j], want[r][j]) {
				t.Fatalf("scores %v, want %v", scores, want)
			}
		}
	}
}

func TestTopKTiesAndRaw(t *testing.T) {
	row := []float32{5, -1, 5, 3}
	idx, scores, err := topK(row, 1, 4, 3, true)
	if err != nil {
		t.Fatal(err)
	}
	// Equal values keep index order.
	if want := []int{0, 2, 3}; !reflect.DeepEqual(idx[0], want) {
		t.Fatalf("indices %v, want %v", idx[0], want)
	}
	for j, w := range []float32{0.46776753, 0.46776753, 0.06330545} {
		if !near(scores[0][j], w) {
			t.Fatalf("scores %v", scores[0])
		}
	}
	// Without softmax the scores are the logits; k beyond C is C.
	idx, scores, err = topK(row, 1, 4, 10, false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(idx[0], []int{0, 2, 3, 1}) || !reflect.DeepEqual(scores[0], []float32{5, 5, 3, -1}) {
		t.Fatalf("raw: %v %v", idx[0], scores[0])
	}
	if _, _, err := topK([]float32{1, float32(math.NaN())}, 1, 2, 1, true); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("NaN logit: %v", err)
	}
}

func TestImagenetLabels(t *testing.T) {
	l := parseLabels("imagenet")
	if len(l) != 1000 || l[0] != "tench" || l[281] != "tabby" || l[999] != "toilet tissue" {
		t.Fatalf("%d labels, [0]=%q [281]=%q [999]=%q", len(l), l[0], l[281], l[len(l)-1])
	}
	if got := parseLabels("a\r\nb\n"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("inline labels %q", got)
	}
	if parseLabels("") != nil {
		t.Fatal("empty labels setting gives labels")
	}
}

type result struct {
	Predictions [][]prediction `json:"predictions"`
}

func runPlugin(t *testing.T, settings map[string]string, logits *tensor.Tensor) (result, abi.Message) {
	t.Helper()
	out, err := sdk.RunLocal(settings, abi.Message{{Name: "output", Tensor: logits}})
	if err != nil {
		t.Fatal(err)
	}
	js, ok := out.Get("json")
	if !ok {
		t.Fatal("no json entry")
	}
	var res result
	if err := json.Unmarshal(js.Bytes, &res); err != nil {
		t.Fatal(err)
	}
	return res, out
}

func TestPluginInlineLabels(t *testing.T) {
	res, out := runPlugin(t, map[string]string{"k": "2", "labels": "cat\ndog\nbird"},
		tensor.New([]int{2, 3}, []float32{1, 2, 3, 3, 1, 2}))
	want := [][]prediction{
		{{2, "bird", 0.66524096}, {1, "dog", 0.24472847}},
		{{0, "cat", 0.66524096}, {2, "bird", 0.24472847}},
	}
	if len(res.Predictions) != 2 {
		t.Fatalf("%+v", res)
	}
	for r := range want {
		for j, w := range want[r] {
			g := res.Predictions[r][j]
			if g.Index != w.Index || g.Label != w.Label || !near(g.Score, w.Score) {
				t.Fatalf("row %d: %+v, want %+v", r, res.Predictions[r], want[r])
			}
		}
	}
	ind, _ := out.Get("indices")
	sc, _ := out.Get("scores")
	if ind.Tensor == nil || !reflect.DeepEqual(ind.Tensor.Shape(), []int{2, 2}) ||
		!reflect.DeepEqual(tensor.Data[int64](ind.Tensor), []int64{2, 1, 0, 2}) {
		t.Fatalf("indices %v", ind.Tensor)
	}
	if sc.Tensor == nil || sc.Tensor.DType() != tensor.Float32 || !near(tensor.Data[float32](sc.Tensor)[3], 0.24472847) {
		t.Fatalf("scores %v", sc.Tensor)
	}
}

func TestPluginImagenet(t *testing.T) {
	logits := make([]float32, 1000)
	logits[281], logits[285], logits[7] = 9, 8, 7 // tabby, Egyptian cat, cock
	res, _ := runPlugin(t, map[string]string{"labels": "imagenet", "k": "3", "softmax": "false"},
		tensor.New([]int{1000}, logits))
	want := []prediction{{281, "tabby", 9}, {285, "Egyptian cat", 8}, {7, "cock", 7}}
	if !reflect.DeepEqual(res.Predictions, [][]prediction{want}) {
		t.Fatalf("got %+v, want %+v", res.Predictions, want)
	}
}

func TestPluginErrors(t *testing.T) {
	two := tensor.New([]int{2}, []float32{1, 2})
	for _, c := range []struct {
		settings map[string]string
		in       abi.Message
		want     string
	}{
		{map[string]string{"k": "0"}, abi.Message{{Name: "x", Tensor: two}}, "k must be positive"},
		{map[string]string{"softmax": "maybe"}, abi.Message{{Name: "x", Tensor: two}}, "softmax"},
		{map[string]string{"labels": "a\nb\nc"}, abi.Message{{Name: "x", Tensor: two}}, "3 labels for 2 classes"},
		{nil, abi.Message{{Name: "x", Tensor: two}, {Name: "y", Tensor: two}}, "set input"},
		{map[string]string{"input": "z"}, abi.Message{{Name: "x", Tensor: two}}, `no tensor "z"`},
		{nil, abi.Message{{Name: "x", Tensor: tensor.New([]int{2}, []int64{1, 2})}}, "want a float tensor"},
		{nil, abi.Message{{Name: "x", Tensor: tensor.New([]int{1, 1, 2}, []float32{1, 2})}}, "want [N, C] or [C]"},
		{nil, abi.Message{{Name: "x", Bytes: []byte("hi")}}, "no tensor"},
	} {
		_, err := sdk.RunLocal(c.settings, c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("settings %v: error %v, want one mentioning %q", c.settings, err, c.want)
		}
	}
	// With input named, the other outputs are ignored.
	if _, err := sdk.RunLocal(map[string]string{"input": "y", "k": "1"},
		abi.Message{{Name: "x", Tensor: two}, {Name: "y", Tensor: two}}); err != nil {
		t.Fatal(err)
	}
}
