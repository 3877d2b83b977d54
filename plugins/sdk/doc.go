// Package sdk is the Go guest SDK for gonyx plugins: it implements ABI v1
// (docs/PLUGINS.md) so that a plugin is a few lines of ordinary Go.
//
//	package main
//
//	import (
//		"bytes"
//
//		"github.com/gonyx/gonyx/plugins/sdk"
//	)
//
//	func init() {
//		sdk.Register(sdk.Plugin{
//			Name: "upper", Version: "1.0.0", Kind: sdk.Pre,
//			Inputs:  []sdk.Spec{{Name: "body", Datatype: "BYTES"}},
//			Outputs: []sdk.Spec{{Name: "body", Datatype: "BYTES"}},
//			Process: func(in sdk.Input) (sdk.Output, error) {
//				b, _ := in.Bytes("body")
//				return sdk.Output{}.Bytes("body", bytes.ToUpper(b)), nil
//			},
//		})
//	}
//
//	func main() {}
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 go build -buildmode=c-shared \
//	    -trimpath -buildvcs=false -ldflags="-s -w -buildid=" -o upper.wasm .
//
// The package also compiles for the host (linux/amd64 …) so that a plugin's
// logic can be unit-tested with plain `go test`: there the host kernels
// (DecodeImage, ResizeImage, …) run the same Go code the gonyx server runs
// (package plugins/imageops), Log writes to stderr, ConfigValue reads the
// settings of the last initialisation, and RunLocal drives the registered
// plugin through describe, init and process without any WebAssembly.
package sdk
