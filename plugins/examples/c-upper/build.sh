#!/bin/sh
# Builds the c-upper plugin: build.sh [OUT.wasm], by default build/plugins/c-upper.wasm in the repository.
# Needs Debian's clang (14), lld and wasi-libc (apt-get install clang lld wasi-libc). The output is the same
# bytes on every build: the module is stripped, so no path or timestamp ends up in it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../../build/plugins/c-upper.wasm}
case $out in /*) ;; *) out=$PWD/$out ;; esac
CC=${CC:-clang}
command -v "$CC" >/dev/null || { echo "c-upper: $CC not found (apt-get install clang lld wasi-libc)" >&2; exit 1; }
[ -f /usr/lib/wasm32-wasi/libc.a ] || { echo "c-upper: wasi-libc not found (apt-get install wasi-libc)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
cd "$here"
# reactor: a library whose exports the host calls (crt1-reactor.o provides _initialize), not a command with
# main. --stack-first puts the C stack at the bottom of memory so an overflow traps instead of overwriting data.
exec "$CC" --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 -Wall -Wextra -Werror \
	-Wl,--stack-first -Wl,--strip-all \
	-o "$out" message.c upper.c
