// Package inferencepb is the Go code generated from proto/inference.proto:
// the messages and the GRPCInferenceService client and server stubs of the
// KServe Open Inference Protocol v2 with Triton's repository and statistics
// RPCs. Do not edit the .pb.go files; change the .proto and run
// proto/gen.sh (`make proto`), which rewrites them byte for byte.
package inferencepb
