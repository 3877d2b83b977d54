// Command guest is the SDK's test plugin: each call's "mode" entry selects
// one SDK feature, so that one module exercises them all through the host.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strconv"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/plugins/sdk"
)

var greeting string // set by Init from the "greeting" setting

func init() {
	sdk.Register(sdk.Plugin{
		Name: "sdk-test", Version: "0.1.0", Kind: sdk.Pre,
		Inputs:  []sdk.Spec{{Name: "body", Datatype: "BYTES"}},
		Outputs: []sdk.Spec{{Name: "out", Datatype: "FP32", Shape: []int64{-1, 3}}},
		Config:  map[string]string{"greeting": "a word", "times": "an integer", "fail": "fail Init when true"},
		Init: func(cfg sdk.Config) error {
			greeting = cfg.String("greeting", "hello")
			if _, err := cfg.Int("times", 1); err != nil {
				return err
			}
			if fail, err := cfg.Bool("fail", false); err != nil || fail {
				return errors.New("asked to fail")
			}
			return nil
		},
		Process: process,
	})
}

func process(in sdk.Input) (sdk.Output, error) {
	mode, _ := in.Bytes("mode")
	body, _ := in.Bytes("body")
	switch string(mode) {
	case "upper": // bytes in, bytes out
		return sdk.Output{}.Bytes("body", bytes.ToUpper(body)), nil
	case "double": // every tensor, doubled
		out := sdk.Output{}
		for _, e := range in.Message() {
			if e.Tensor != nil {
				v := e.Tensor.Float64s()
				for i := range v {
					v[i] *= 2
				}
				t, err := tensor.FromFloat64s(e.Tensor.DType(), e.Tensor.Shape(), v)
				if err != nil {
					return out, err
				}
				out = out.Tensor(e.Name, t)
			}
		}
		return out, nil
	case "json": // JSON in, JSON out
		var req struct{ A, B int }
		if err := in.JSON("body", &req); err != nil {
			return sdk.Output{}, err
		}
		return sdk.Output{}.JSON(map[string]any{"sum": req.A + req.B, "names": in.Names()}), nil
	case "config":
		v, ok := sdk.ConfigValue("greeting")
		_, missing := sdk.ConfigValue("nope")
		sdk.Log(sdk.Info, "config asked")
		return sdk.Output{}.Bytes("greeting", []byte(greeting)).
			Bytes("host", []byte(fmt.Sprintf("%s %v %v", v, ok, missing))), nil
	case "error":
		return sdk.Output{}, errors.New("bad request: " + string(body))
	case "panic":
		var m map[string]int
		m["x"] = 1 // assignment to a nil map panics
		return sdk.Output{}, nil
	case "dup":
		return sdk.Output{}.Bytes("a", nil).Bytes("a", nil), nil
	case "image": // decode → resize 4x4 → crop 2x2 at (1,1) → tensor
		img, err := sdk.DecodeImage(body)
		if err != nil {
			return sdk.Output{}, err
		}
		r, err := sdk.ResizeImage(img, 4, 4)
		if err != nil {
			return sdk.Output{}, err
		}
		c, err := sdk.CropImage(r, 1, 1, 2, 2)
		if err != nil {
			return sdk.Output{}, err
		}
		v, err := sdk.ImageToTensor(c, [3]float32{0.5, 0.5, 0.5}, [3]float32{0.5, 0.5, 0.5})
		if err != nil {
			return sdk.Output{}, err
		}
		return sdk.Output{}.
			Bytes("decoded", []byte(strconv.Itoa(img.W)+"x"+strconv.Itoa(img.H))).
			Bytes("resized", r.Pix).Bytes("cropped", c.Pix).
			Tensor("tensor", tensor.New([]int{1, 3, 2, 2}, v)), nil
	case "image-output": // Output.Image (resize 4, crop 2, mean/std 0.5) and a bytes entry after it
		o, err := sdk.Output{}.Image("pixels", body, imageTransform)
		if err != nil {
			return sdk.Output{}, err
		}
		return o.Bytes("after", []byte("ok")), nil
	case "image-output-twice": // the same name attached twice
		o, err := sdk.Output{}.Image("pixels", body, imageTransform)
		if err != nil {
			return sdk.Output{}, err
		}
		return o.Image("pixels", body, imageTransform)
	case "image-output-clash": // an attached name also in the reply
		o, err := sdk.Output{}.Image("pixels", body, imageTransform)
		if err != nil {
			return sdk.Output{}, err
		}
		return o.Bytes("pixels", []byte("mine")), nil
	case "image-output-fail": // attach, then fail the call
		if _, err := (sdk.Output{}).Image("pixels", body, imageTransform); err != nil {
			return sdk.Output{}, err
		}
		return sdk.Output{}, errors.New("failing after attaching")
	case "mem": // the live heap after a collection, to catch leaked buffers
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return sdk.Output{}.Bytes("heap", []byte(strconv.FormatUint(ms.HeapAlloc, 10))), nil
	case "floats": // a float32 tensor of as many values as the body says
		n, err := strconv.Atoi(string(body))
		if err != nil {
			return sdk.Output{}, err
		}
		return sdk.Output{}.Tensor("out", tensor.New([]int{n}, make([]float32, n))), nil
	case "bytes": // as many zero bytes as four times the body says
		n, err := strconv.Atoi(string(body))
		if err != nil {
			return sdk.Output{}, err
		}
		return sdk.Output{}.Bytes("out", make([]byte, 4*n)), nil
	case "count": // how many entries came in
		return sdk.Output{}.Bytes("n", []byte(strconv.Itoa(len(in.Names())))), nil
	case "badimage":
		_, err := sdk.DecodeImage([]byte("not an image"))
		return sdk.Output{}, err
	}
	return sdk.Output{}, fmt.Errorf("unknown mode %q", mode)
}

var imageTransform = sdk.Transform{Resize: 4, Crop: 2, Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}}

func main() {}
