//go:build wasip1

package sdk

import "unsafe"

// The host module "gonyx" (docs/PLUGINS.md). Functions that return data
// allocate it through our gonyx_alloc; take() adopts it.

//go:wasmimport gonyx log
func gonyxLog(level int32, ptr, n uint32)

//go:wasmimport gonyx config
func gonyxConfig(keyPtr, keyLen uint32) uint64

//go:wasmimport gonyx image_decode
func gonyxImageDecode(ptr, n uint32) uint64

//go:wasmimport gonyx image_resize
func gonyxImageResize(ptr, n uint32, w, h int32) uint64

//go:wasmimport gonyx image_crop
func gonyxImageCrop(ptr, n uint32, x, y, w, h int32) uint64

//go:wasmimport gonyx image_to_tensor
func gonyxImageToTensor(ptr, n, paramsPtr, paramsLen uint32) uint64

func hostLog(level int32, msg string) {
	b := unsafe.Slice(unsafe.StringData(msg), len(msg))
	gonyxLog(level, addr(b), uint32(len(b)))
	keepAlive(b)
}

func hostConfig(key string) (string, bool) {
	k := []byte(key)
	b, err := take(gonyxConfig(addr(k), uint32(len(k))))
	keepAlive(k)
	if err != nil {
		return "", false
	}
	return string(b), true
}

func hostImageDecode(data []byte) ([]byte, error) {
	r := gonyxImageDecode(addr(data), uint32(len(data)))
	keepAlive(data)
	return take(r)
}

func hostImageResize(img []byte, w, h int32) ([]byte, error) {
	r := gonyxImageResize(addr(img), uint32(len(img)), w, h)
	keepAlive(img)
	return take(r)
}

func hostImageCrop(img []byte, x, y, w, h int32) ([]byte, error) {
	r := gonyxImageCrop(addr(img), uint32(len(img)), x, y, w, h)
	keepAlive(img)
	return take(r)
}

func hostImageToTensor(img, params []byte) ([]byte, error) {
	r := gonyxImageToTensor(addr(img), uint32(len(img)), addr(params), uint32(len(params)))
	keepAlive(img, params)
	return take(r)
}
