// Hostcalls calls every function of host module "gonyx" and a few WASI ones
// and returns what it got, one bytes entry per result.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/gonyx/gonyx/plugins/abi"
	"github.com/gonyx/gonyx/plugins/testdata/guests/gabi"
)

//go:wasmimport gonyx log
func hostLog(level, ptr, n uint32)

//go:wasmimport gonyx config
func hostConfig(ptr, n uint32) uint64

//go:wasmimport gonyx image_decode
func imageDecode(ptr, n uint32) uint64

//go:wasmimport gonyx image_resize
func imageResize(ptr, n, w, h uint32) uint64

//go:wasmimport gonyx image_crop
func imageCrop(ptr, n, x, y, w, h uint32) uint64

//go:wasmimport gonyx image_to_tensor
func imageToTensor(ptr, n, pptr, pn uint32) uint64

//go:wasmimport gonyx image_preprocess_output
func imagePreprocessOutput(ptr, n uint32, resize, crop int32, pptr, pn, nptr, nn uint32) uint64

var initJSON []byte

// initAttach is what image_preprocess_output answered during gonyx_init.
var initAttach []byte

//go:wasmexport gonyx_describe
func describe() uint64 {
	return gabi.Result([]byte(`{"name":"hostcalls","version":"1","kind":"pre",
"inputs":[{"name":"png","datatype":"BYTES","shape":[1]}],"outputs":[],"config":{"greeting":"a word to return"}}`))
}

//go:wasmexport gonyx_init
func initialize(ptr, n uint32) uint64 {
	initJSON = append([]byte(nil), gabi.Bytes(ptr, n)...)
	name := []byte("early")
	initAttach, _ = gabi.Take(imagePreprocessOutput(0, 0, 0, 0, 0, 0, gabi.Ptr(name), uint32(len(name))))
	runtime.KeepAlive(name)
	return 0
}

// attach calls image_preprocess_output on png (resize 4, crop 2).
func attach(png, params, name []byte) ([]byte, bool) {
	r := imagePreprocessOutput(gabi.Ptr(png), uint32(len(png)), 4, 2, gabi.Ptr(params), uint32(len(params)), gabi.Ptr(name), uint32(len(name)))
	runtime.KeepAlive(png)
	runtime.KeepAlive(params)
	runtime.KeepAlive(name)
	return gabi.Take(r)
}

// Each call keeps its arguments alive: the host calls back into gonyx_alloc,
// which may run the garbage collector while the import is in progress.

func config(key string) ([]byte, bool) {
	k := []byte(key)
	r := hostConfig(gabi.Ptr(k), uint32(len(k)))
	runtime.KeepAlive(k)
	return gabi.Take(r)
}

func logf(level uint32, format string, args ...any) {
	m := []byte(fmt.Sprintf(format, args...))
	hostLog(level, gabi.Ptr(m), uint32(len(m)))
	runtime.KeepAlive(m)
}

type out struct{ m abi.Message }

func (o *out) add(name string, b []byte, isErr bool) {
	if isErr {
		name += "_err"
	}
	o.m = append(o.m, abi.Entry{Name: name, Bytes: b})
}

//go:wasmexport gonyx_process
func process(ptr, n uint32) uint64 {
	in, err := abi.Decode(gabi.Bytes(ptr, n))
	if err != nil {
		return gabi.Error(err.Error())
	}
	get := func(name string) []byte { e, _ := in.Get(name); return e.Bytes }
	var o out
	o.add("init", initJSON, false)

	if _, ok := in.Get("badptr"); ok {
		// A key "outside memory": the host must refuse to read it.
		hostConfig(0xfffffff0, 64)
	}

	logf(2, "hello from %s", "the guest")
	fmt.Println("line one to stdout")
	fmt.Print("partial ")
	fmt.Println("line two")

	v, isErr := config(string(get("key")))
	o.add("config", v, isErr)
	v, isErr = config("no-such-key")
	o.add("missing", v, isErr)

	png := get("png")
	img, isErr := gabi.Take(imageDecode(gabi.Ptr(png), uint32(len(png))))
	runtime.KeepAlive(png)
	o.add("decoded", img, isErr)
	garbage := []byte("not an image")
	v, isErr = gabi.Take(imageDecode(gabi.Ptr(garbage), uint32(len(garbage))))
	runtime.KeepAlive(garbage)
	o.add("garbage", v, isErr)
	if len(img) > 0 {
		v, isErr = gabi.Take(imageResize(gabi.Ptr(img), uint32(len(img)), 5, 3))
		o.add("resized", v, isErr)
		v, isErr = gabi.Take(imageCrop(gabi.Ptr(img), uint32(len(img)), 1, 2, 3, 2))
		o.add("cropped", v, isErr)
		v, isErr = gabi.Take(imageCrop(gabi.Ptr(img), uint32(len(img)), 5, 0, 100, 1))
		o.add("badcrop", v, isErr)
		params := get("params")
		v, isErr = gabi.Take(imageToTensor(gabi.Ptr(img), uint32(len(img)), gabi.Ptr(params), uint32(len(params))))
		runtime.KeepAlive(params)
		o.add("tensor", v, isErr)
		runtime.KeepAlive(img)
	}

	if names, ok := in.Get("attach"); ok {
		// One image_preprocess_output call per comma-separated name.
		for i, name := range strings.Split(string(names.Bytes), ",") {
			v, isErr := attach(png, get("params"), []byte(name))
			o.add(fmt.Sprintf("attach%d", i), v, isErr)
		}
		o.add("init_attach", initAttach, true)
	}

	_, err = os.ReadFile("/etc/passwd")
	o.add("file", []byte(fmt.Sprint(err)), false)
	o.add("env", []byte(strings.Join(os.Environ(), ";")), false)
	o.add("args", []byte(strings.Join(os.Args, ";")), false)

	b, err := abi.Encode(o.m)
	if err != nil {
		return gabi.Error(err.Error())
	}
	return gabi.Result(b)
}

func main() {}
