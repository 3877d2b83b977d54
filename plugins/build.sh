#!/bin/sh
# plugins/build.sh [OUTDIR] — builds every example plugin to OUTDIR/<name>.wasm
# (default build/plugins; `make plugins` runs this from the repository root).
#
#   plugins/examples/<name>/build.sh exists  → it is run as `build.sh OUT.wasm`
#                                              (C examples; needs clang + wasi-libc)
#   else a Go main package in that folder    → go build for GOOS=wasip1
#
# The output is the same bytes on every run and every machine with the same Go
# and clang versions, so the committed .wasm files can be checked against a
# rebuild: -trimpath drops local paths, -buildid= and -s -w drop the build ID
# and symbols, -buildvcs=false keeps the commit hash out (it would change the
# bytes on every commit), and the environment is fixed below so that a
# developer's GOFLAGS, GOWASM or GOEXPERIMENT cannot leak in.
# A missing C toolchain is installed with apt-get (sudo when not root).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-build/plugins}
case $out in /*) ;; *) out=$PWD/$out ;; esac
mkdir -p "$out"
cd "$root"

GO=${GO:-go}
command -v "$GO" >/dev/null 2>&1 || {
	echo "plugins/build.sh: $GO not found: install Go $(sed -n 's/^go //p' go.mod) or newer from https://go.dev/dl/" >&2
	exit 1
}

# have_c_toolchain: clang, the wasm linker, wasi-libc and the wasm32 builtins.
have_c_toolchain() {
	command -v clang >/dev/null 2>&1 && command -v wasm-ld >/dev/null 2>&1 &&
		[ -f /usr/lib/wasm32-wasi/libc.a ] &&
		ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1
}

install_c_toolchain() {
	have_c_toolchain && return 0
	echo "plugins/build.sh: installing the C toolchain for wasm (clang, lld, wasi-libc)" >&2
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clang lld wasi-libc libclang-rt-14-dev-wasm32 >&2
	have_c_toolchain || { echo "plugins/build.sh: the C toolchain is still incomplete after apt-get" >&2; exit 1; }
}

# is_go_main DIR: DIR holds a non-test Go file of package main.
is_go_main() {
	for f in "$1"/*.go; do
		case $f in *_test.go) continue ;; esac
		[ -f "$f" ] && grep -q '^package main$' "$f" && return 0
	done
	return 1
}

built=0
for dir in plugins/examples/*/; do
	dir=${dir%/}
	name=${dir##*/}
	tmp=$out/.$name.wasm.tmp
	if [ -f "$dir/build.sh" ]; then
		install_c_toolchain
		sh "$dir/build.sh" "$tmp"
	elif is_go_main "$dir"; then
		env GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOWASM= GOEXPERIMENT= \
			"$GO" build -buildmode=c-shared -trimpath -ldflags='-s -w -buildid=' -o "$tmp" "./$dir"
	else
		continue
	fi
	# Replace the old file only once the new one is complete.
	mv -f "$tmp" "$out/$name.wasm"
	echo "$out/$name.wasm"
	built=$((built + 1))
done
[ "$built" -gt 0 ] || { echo "plugins/build.sh: no example plugins found" >&2; exit 1; }
