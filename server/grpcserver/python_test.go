package grpcserver

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The Python client checks the server against independent gRPC and
// protobuf implementations, with stubs generated from proto/inference.proto
// by another code generator. Its tools are Debian packages that CI installs,
// so their absence is a failure, not a reason to skip.
const (
	python         = "/usr/bin/python3"
	pythonPackages = "python3-grpcio and python3-grpc-tools (apt-get install python3-grpcio python3-grpc-tools)"
)

func TestPythonClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run := func(what string, cmd *exec.Cmd) {
		t.Helper()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", what, err, out)
		}
	}
	if _, err := os.Stat(python); err != nil {
		t.Fatalf("%s is missing (%v): this test needs Debian's python3 with %s", python, err, pythonPackages)
	}
	if out, err := exec.CommandContext(ctx, python, "-c", "import grpc, grpc_tools.protoc").CombinedOutput(); err != nil {
		t.Fatalf("%s cannot import grpc and grpc_tools: install Debian packages %s\n%v\n%s", python, pythonPackages, err, out)
	}

	protoDir, err := filepath.Abs(filepath.Join("..", "..", "proto"))
	if err != nil {
		t.Fatal(err)
	}
	stubs := t.TempDir()
	run("generating Python stubs", exec.CommandContext(ctx, python, "-m", "grpc_tools.protoc",
		"-I", protoDir, "--python_out="+stubs, "--grpc_python_out="+stubs, filepath.Join(protoDir, "inference.proto")))

	f := newFake()
	ts := startServer(t, f, Options{})
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "client.py"), ts.addr)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+stubs, "PYTHONDONTWRITEBYTECODE=1")
	run("running testdata/client.py", cmd)

	// What the Python client sent arrived as sent.
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("the service saw %d inferences, want 2", len(reqs))
	}
	add := reqs[0]
	if add.Model != "add" || add.ID != "py-1" || add.RoutingKey != "py-user" || add.Timeout != 5*time.Second || add.Protocol != "grpc" {
		t.Errorf("the service saw model %q id %q routing key %q timeout %v protocol %q; want add, py-1, py-user, 5s, grpc",
			add.Model, add.ID, add.RoutingKey, add.Timeout, add.Protocol)
	}
	if len(add.Outputs) != 1 || add.Outputs[0].Name != "sum" {
		t.Errorf("requested outputs %+v, want [sum]", add.Outputs)
	}
	if reqs[1].Model != "no-such-model" {
		t.Errorf("second model %q, want no-such-model", reqs[1].Model)
	}
}
