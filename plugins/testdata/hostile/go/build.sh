#!/bin/sh
# Builds the hostile Go guest: build.sh OUT.wasm. Reproducible: -trimpath, no build ID, no symbols, no VCS
# stamp, and a fixed environment so that a developer's GOFLAGS, GOWASM or GOEXPERIMENT cannot leak in.
set -eu
out=${1:?usage: build.sh OUT.wasm}
case $out in /*) ;; *) out=$PWD/$out ;; esac
cd "$(dirname "$0")"
CGO_ENABLED=0 GOOS=wasip1 GOARCH=wasm GOFLAGS= GOWASM= GOEXPERIMENT= exec go build -buildmode=c-shared \
	-trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o "$out" .
