#!/bin/sh
# Generates server/inferencepb from proto/inference.proto (`make proto` runs this).
#
# The output must not depend on whoever runs it, so the tool versions are
# pinned: the generated files record them in their headers, and a different
# protoc-gen-go would also emit different code. The plugins are taken from
# PATH or GOPATH/bin when they have the pinned version, else installed into
# build/bin with `go install` (which needs the Go module proxy).
set -eu

PROTOC_VERSION=3.21
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=1.6.2

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
GO=${GO:-go}
PROTOC=${PROTOC:-protoc}
plugins="$root/build/bin"

if ! command -v "$PROTOC" >/dev/null 2>&1; then
	echo "gen.sh: $PROTOC not found; install protoc $PROTOC_VERSION (Debian: apt-get install protobuf-compiler)" >&2
	exit 1
fi
have=$("$PROTOC" --version)
case "$have" in
"libprotoc $PROTOC_VERSION."*) ;;
*)
	echo "gen.sh: need protoc $PROTOC_VERSION.x (Debian bookworm's protobuf-compiler), have: $have" >&2
	exit 1
	;;
esac

# find_plugin NAME WANT MODULE prints the path of plugin NAME whose
# --version output ends in WANT, installing MODULE@vWANT if none has it.
find_plugin() {
	name=$1 want=$2 module=$3
	gopath_bin="$($GO env GOPATH | cut -d: -f1)/bin"
	for p in "$plugins/$name" "$(command -v "$name" 2>/dev/null || true)" "$gopath_bin/$name"; do
		if [ -n "$p" ] && [ -x "$p" ]; then
			case "$("$p" --version 2>/dev/null)" in
			*" $want") echo "$p"; return ;;
			esac
		fi
	done
	mkdir -p "$plugins"
	version=v${want#v}
	echo "gen.sh: installing $module@$version into $plugins" >&2
	GOBIN="$plugins" GOFLAGS= "$GO" install "$module@$version" >&2
	echo "$plugins/$name"
}

gen_go=$(find_plugin protoc-gen-go "$PROTOC_GEN_GO_VERSION" google.golang.org/protobuf/cmd/protoc-gen-go)
gen_go_grpc=$(find_plugin protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION" google.golang.org/grpc/cmd/protoc-gen-go-grpc)

# Generate into a scratch directory first so that a failed run leaves the
# committed files alone.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$PROTOC" -I proto \
	--plugin=protoc-gen-go="$gen_go" --go_out="$out" --go_opt=paths=source_relative \
	--plugin=protoc-gen-go-grpc="$gen_go_grpc" --go-grpc_out="$out" --go-grpc_opt=paths=source_relative \
	proto/inference.proto
mkdir -p server/inferencepb
cp "$out/inference.pb.go" "$out/inference_grpc.pb.go" server/inferencepb/
