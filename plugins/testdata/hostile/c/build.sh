#!/bin/sh
# Builds the hostile C guest: build.sh OUT.wasm. Debian clang 14 + wasi-libc; reproducible (no paths or
# timestamps end up in the stripped module).
set -eu
out=${1:?usage: build.sh OUT.wasm}
case $out in /*) ;; *) out=$PWD/$out ;; esac
cd "$(dirname "$0")"
exec clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 \
	-Wall -Werror -Wno-unused-result -Wno-infinite-recursion \
	-Wl,--stack-first -Wl,--strip-all \
	-o "$out" msg.c abi.c hostile.c
