# gonyx — make targets. `make test` is the one command CI runs (via .ci/run).

GO        ?= go
BUILD     := build
TESTDATA  := $(BUILD)/onnx-testdata
ONNXDATA  := $(TESTDATA)/data
SUITES    := node simple pytorch-converted pytorch-operator
FUZZTIME  ?=
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)

.PHONY: plugins plugins-check bench-plugins proto proto-check levels asm asm-check all build test unit race vet fmt-check testdata conformance conformance-list fuzz fuzz-long cross static clean

all: build

## build: the static, cgo-free binary in build/gonyx
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BUILD)/gonyx ./cmd/gonyx

## asm: regenerate the assembly kernels from their generators: SGEMM (ops/linalg/_gen),
## vector math (ops/vector/_gen), blocked convolution (ops/nchwc/_gen) and blocked
## depthwise/pool/reorder (ops/nchwc/_genaux); the output is byte-for-byte stable.
asm:
	cd ops/linalg && $(GO) run ./_gen
	cd ops/vector/_gen && $(GO) run .
	$(GO) run ./ops/nchwc/_gen
	$(GO) run ./ops/nchwc/_genaux

## asm-check: the committed assembly is exactly what the generator writes.
asm-check: asm
	git diff --exit-code -- ops/linalg/sgemm_amd64.s ops/linalg/sgemm_amd64.go \
	  ops/vector/kernels_amd64.s ops/vector/kernels_amd64.go ops/vector/zconsts.go \
	  ops/nchwc/conv_amd64.s ops/nchwc/conv_amd64.go ops/nchwc/dw_amd64.s ops/nchwc/pool_amd64.s \
	  ops/nchwc/reorder_amd64.s

## proto: regenerate server/inferencepb from proto/inference.proto with protoc (Debian's
## protobuf-compiler) and the pinned protoc-gen-go / protoc-gen-go-grpc (installed into build/bin).
proto:
	proto/gen.sh

## proto-check: the committed generated code is exactly what `make proto` writes.
proto-check: proto
	git diff --exit-code -- server/inferencepb

## plugins: build every example plugin into build/plugins/<name>.wasm (installing a missing
## C toolchain), and refresh the copies the demo repository embeds.
plugins:
	plugins/build.sh $(BUILD)/plugins
	cp $(BUILD)/plugins/imagenet-preprocess.wasm $(BUILD)/plugins/topk.wasm server/demo/plugins/

## plugins-check: the embedded .wasm files are byte for byte what the sources build.
plugins-check: plugins
	git diff --exit-code -- server/demo/plugins

## test: everything CI checks — formatting, vet, unit + conformance + reference-model tests,
## a short fuzz run, and the static / cross-platform builds.
test: testdata fmt-check vet asm-check proto-check plugins-check unit levels race fuzz static cross

unit: testdata
	GONYX_ONNX_TESTDATA=$(CURDIR)/$(ONNXDATA) $(GO) test -count=1 -timeout 30m ./...
	cd engine/gorgonia && $(GO) test -count=1 ./...
	cd benchmarks && $(GO) test -count=1 ./...

## levels: the conformance suites and reference models at every lower kernel level
## (the default run above uses the best level this CPU has).
levels: testdata
	GONYX_CPU=avx2 GONYX_ONNX_TESTDATA=$(CURDIR)/$(ONNXDATA) $(GO) test -count=1 -timeout 20m -run 'TestReferenceModels|TestConformance' ./engine/ ./engine/conformance/
	GONYX_CPU=generic GONYX_ONNX_TESTDATA=$(CURDIR)/$(ONNXDATA) $(GO) test -count=1 -timeout 20m -run 'TestReferenceModels|TestConformance' ./engine/ ./engine/conformance/
	$(GO) test -count=1 -tags purego ./ops/...

## race: the race detector on the packages with concurrency.
race:
	$(GO) test -race -count=1 -skip 'TestReferenceModels' ./engine/ ./ops/...
	$(GO) test -race -count=1 ./server/... ./plugins/ ./plugins/abi

vet:
	$(GO) vet ./...
	cd engine/gorgonia && $(GO) vet ./...
	cd benchmarks && $(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## testdata: unpack Debian's libonnx-testdata (ONNX 1.12 backend tests) into build/.
## Uses `apt-get download` + `dpkg -x`, so it needs no root once the package lists exist.
testdata: $(ONNXDATA)/node

$(ONNXDATA)/node:
	@mkdir -p $(TESTDATA)/deb
	cd $(TESTDATA)/deb && ( apt-get download libonnx-testdata 2>/dev/null || \
	  ( (apt-get update -qq || sudo apt-get update -qq) && apt-get download libonnx-testdata ) )
	dpkg -x $(TESTDATA)/deb/libonnx-testdata_*.deb $(TESTDATA)/deb/x
	rm -rf $(TESTDATA)/data && mv $(TESTDATA)/deb/x/usr/share/libonnx-testdata/data $(TESTDATA)/data
	rm -rf $(TESTDATA)/deb
	@test -d $(ONNXDATA)/node

## conformance: the four ONNX suites through `gonyx conformance` (prints a line per case).
conformance: build testdata
	$(BUILD)/gonyx conformance $(addprefix $(ONNXDATA)/,$(SUITES)) || true

## conformance-list: rewrite testdata/conformance_pass.txt from a fresh run.
conformance-list: build testdata
	@echo '# ONNX 1.12 backend-test cases that must pass (regenerate: make conformance-list)' > testdata/conformance_pass.txt
	$(BUILD)/gonyx conformance $(addprefix $(ONNXDATA)/,$(SUITES)) | \
	  sed -n 's/^PASS //p' | sort >> testdata/conformance_pass.txt || true
	@grep -vc '^#' testdata/conformance_pass.txt

## fuzz: a short run of every decoder fuzz target: a fixed number of executions each (about
## 20 s here), or FUZZTIME each when it is set. Counts, not durations, by default: go1.26's fuzz
## coordinator can fail a run with "context deadline exceeded" when a -fuzztime duration ends
## while a worker is mid-call (golang/go#75804, fixed in Go 1.27); a count has no deadline.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeModel$$' -fuzztime $(or $(FUZZTIME),200000x) -fuzzminimizetime 100x ./engine/onnxpb
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeTensor$$' -fuzztime $(or $(FUZZTIME),500000x) -fuzzminimizetime 100x ./engine/onnxpb
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(or $(FUZZTIME),150000x) -fuzzminimizetime 100x ./engine
	$(GO) test -run '^$$' -fuzz '^FuzzInflate$$' -fuzztime $(or $(FUZZTIME),200000x) -fuzzminimizetime 100x ./plugins/imageops
	$(GO) test -run '^$$' -fuzz '^FuzzDecodePNG$$' -fuzztime $(or $(FUZZTIME),40000x) -fuzzminimizetime 100x ./plugins/imageops

fuzz-long:
	$(MAKE) fuzz FUZZTIME=10m

## static: the binary must be statically linked (no cgo, no libc).
static: build
	@out=$$(file $(BUILD)/gonyx); echo "$$out"; case "$$out" in *"statically linked"*) ;; *) echo "not static"; exit 1;; esac

## cross: the engine builds for browsers (js/wasm) and WASI, the binary for linux/arm64.
cross:
	GOOS=js GOARCH=wasm $(GO) build ./engine/...
	GOOS=wasip1 GOARCH=wasm $(GO) build ./engine/...
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/gonyx

clean:
	rm -rf $(BUILD)

## bench-compare: gonyx vs ONNX Runtime (and the pure-Go peers gonnx, onnx-go) on ../shared/models;
## writes docs/PERFORMANCE.md, docs/performance.json, docs/performance.svg. A subset, fast:
##   make bench-compare BENCH_ARGS='--quick --models mlp_tabular,bert_small --threads 1 --batches 1'
## (flags: build/bench-compare -h). The ORT anchor is installed into build/anchors once.
SHARED     ?= ../shared
BENCH_ARGS ?=
.PHONY: bench-compare bench-serve
## bench-serve: the model server on the demo models (HTTP overhead over an in-process run,
## throughput with dynamic batching on vs off at 64 clients); rewrites the server section
## of docs/PERFORMANCE.md. BENCH_SERVE_ARGS='--duration 4s --rounds 1' for a quick look.
BENCH_SERVE_ARGS ?=
## bench-plugins: plugin call cost (per call, per MB, trusted vs untrusted) and imagenet-preprocess
## vs gonyx's mobilenet_v2; rewrites the plugins section of docs/PERFORMANCE.md.
bench-plugins: build plugins
	cd benchmarks && $(GO) build -o ../$(BUILD)/bench-plugins ./cmd/bench-plugins
	$(BUILD)/bench-plugins --gonyx $(BUILD)/gonyx --plugins $(BUILD)/plugins --models $(SHARED)/models
bench-serve: build
	cd benchmarks && $(GO) build -o ../$(BUILD)/bench-serve ./cmd/bench-serve
	$(BUILD)/bench-serve --gonyx $(BUILD)/gonyx $(BENCH_SERVE_ARGS)

bench-compare: build
	@if [ ! -d $(BUILD)/anchors/node_modules/onnxruntime-node ] || \
	    ! cmp -s $(SHARED)/anchors/ort_bench.js $(BUILD)/anchors/ort_bench.js || \
	    ! cmp -s $(SHARED)/anchors/package-lock.json $(BUILD)/anchors/package-lock.json; then \
	  echo "installing the ONNX Runtime anchor into $(BUILD)/anchors"; \
	  rm -rf $(BUILD)/anchors && mkdir -p $(BUILD) && cp -r $(SHARED)/anchors $(BUILD)/anchors && \
	  chmod -R u+w $(BUILD)/anchors && \
	  ( cd $(BUILD)/anchors && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund ) || exit 1; \
	fi
	cd benchmarks && CGO_ENABLED=0 $(GO) build -o ../$(BUILD)/bench-compare ./cmd/bench-compare
	@cd benchmarks && for p in gonnx onnxgo; do rm -f ../$(BUILD)/bench-$$p; \
	  CGO_ENABLED=0 $(GO) build -o ../$(BUILD)/bench-$$p ./cmd/bench-$$p 2> ../$(BUILD)/bench-$$p.build.log \
	    || echo "peer runner bench-$$p does not build (see $(BUILD)/bench-$$p.build.log); it is reported as failing"; done
	$(BUILD)/bench-compare $(if $(filter-out ../shared,$(SHARED)),--shared $(SHARED)) $(BENCH_ARGS)
