"""An independent client for the gRPC front end's tests.

It uses stubs generated from proto/inference.proto by grpc_tools (Debian's
python3-grpc-tools) and the grpcio runtime (python3-grpcio), so the Go
server is checked against another implementation of gRPC and protobuf.

Usage: client.py HOST:PORT   (the generated stubs must be on PYTHONPATH)
Exits 0 when every check passes, 1 with a message on the first mismatch.
"""

import struct
import sys

import grpc

import inference_pb2 as pb
import inference_pb2_grpc as pb_grpc


def check(cond, what):
    if not cond:
        print("client.py: FAIL: " + what, file=sys.stderr)
        sys.exit(1)


def main():
    if len(sys.argv) != 2:
        print("usage: client.py HOST:PORT", file=sys.stderr)
        sys.exit(2)
    # No proxy: the server is on the loopback interface.
    channel = grpc.insecure_channel(sys.argv[1], options=[("grpc.enable_http_proxy", 0)])
    stub = pb_grpc.GRPCInferenceServiceStub(channel)

    live = stub.ServerLive(pb.ServerLiveRequest(), timeout=10)
    check(live.live, "ServerLive: live is false")

    md = stub.ModelMetadata(pb.ModelMetadataRequest(name="add"), timeout=10)
    check(md.name == "add", "ModelMetadata: name %r" % md.name)
    check(list(md.versions) == ["1"], "ModelMetadata: versions %r" % list(md.versions))
    check(len(md.inputs) == 1, "ModelMetadata: %d inputs" % len(md.inputs))
    x = md.inputs[0]
    check((x.name, x.datatype, list(x.shape)) == ("x", "FP32", [-1, 3]),
          "ModelMetadata: input %r %r %r" % (x.name, x.datatype, list(x.shape)))
    y = md.outputs[0]
    check((y.name, y.datatype, list(y.shape)) == ("sum", "FP32", [-1, 3]),
          "ModelMetadata: output %r %r %r" % (y.name, y.datatype, list(y.shape)))

    req = pb.ModelInferRequest(model_name="add", id="py-1")
    inp = req.inputs.add()
    inp.name = "x"
    inp.datatype = "FP32"
    inp.shape.extend([2, 3])
    req.raw_input_contents.append(struct.pack("<6f", 1.0, 2.0, 3.0, 4.0, 5.0, 6.0))
    req.outputs.add().name = "sum"
    req.parameters["timeout"].int64_param = 5000000

    resp, call = stub.ModelInfer.with_call(req, metadata=[("x-user-id", "py-user")], timeout=10)
    check(resp.model_name == "add", "ModelInfer: model_name %r" % resp.model_name)
    check(resp.model_version == "1", "ModelInfer: model_version %r" % resp.model_version)
    check(resp.id == "py-1", "ModelInfer: id %r" % resp.id)
    check(len(resp.outputs) == 1, "ModelInfer: %d outputs" % len(resp.outputs))
    out = resp.outputs[0]
    check((out.name, out.datatype, list(out.shape)) == ("sum", "FP32", [2, 3]),
          "ModelInfer: output %r %r %r" % (out.name, out.datatype, list(out.shape)))
    check(len(resp.raw_output_contents) == 1, "ModelInfer: %d raw outputs" % len(resp.raw_output_contents))
    raw = resp.raw_output_contents[0]
    check(len(raw) == 24, "ModelInfer: raw output of %d bytes, want 24" % len(raw))
    got = struct.unpack("<6f", raw)
    check(got == (2.0, 3.0, 4.0, 5.0, 6.0, 7.0), "ModelInfer: sum %r" % (got,))
    check(resp.parameters["variant"].string_param == "add",
          "ModelInfer: variant parameter %r" % resp.parameters["variant"])
    header = dict(call.initial_metadata())
    check(header.get("x-gonyx-variant") == "add", "ModelInfer: x-gonyx-variant header %r" % header)

    try:
        stub.ModelInfer(pb.ModelInferRequest(model_name="no-such-model"), timeout=10)
        check(False, "ModelInfer on an unknown model succeeded")
    except grpc.RpcError as e:
        check(e.code() == grpc.StatusCode.NOT_FOUND, "unknown model: code %s" % e.code())

    print("client.py: ok")


if __name__ == "__main__":
    main()
