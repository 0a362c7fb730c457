#!/bin/sh
# Regenerates the committed BPF objects and Go bindings. Needs Debian's
# clang-19, llvm-19 and libbpf-dev (for <bpf/bpf_helpers.h>); the result
# must be committed. vmlinux.h is regenerated only with -vmlinux, from the
# running kernel's BTF (bpftool).
set -eu
cd "$(dirname "$0")"
if [ "${1:-}" = "-vmlinux" ]; then
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h
fi
go generate ./...
