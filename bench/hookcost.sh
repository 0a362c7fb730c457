#!/usr/bin/env bash
# Per-hit cost of the retis probe on one hook (kfree_skb) through each
# attach backend, as ratios against tp_btf, on the VM tier's kernels:
# BenchmarkHookCost in engine/collect (its doc comment says how). The host
# kernel has no kprobes or fentry, so this runs only in the VM; when the
# VM cannot run it says why and exits 0.
#
# usage: bench/hookcost.sh [KERNEL...]   (default: every kernel in vm/kernels.lock)
#
# Environment: RETIS_HOOKCOST_N (datagrams per round, 200) and
# RETIS_HOOKCOST_ROUNDS (51) are passed to the benchmark; VM_TIMEOUT
# (seconds per VM, 600).
set -euo pipefail
cd "$(dirname "$0")/.."

skip() {
	echo "hook cost: skipped: $*"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root (qemu, BPF in the VM)"
if ! out=$(make -s -f vm/vm.mk vm-initramfs VM_KERNELS="$*" 2>&1); then
	skip "the VM tier cannot be set up here: $(printf '%s\n' "$out" | tail -n 3)"
fi

export VM_TEST_PKGS=./engine/collect
export VM_TEST_FLAGS="-test.run=^$ -test.bench=^BenchmarkHookCost$ -test.benchtime=1x"
export VM_TIMEOUT=${VM_TIMEOUT:-600}
export VM_PASS_ENV="${VM_PASS_ENV:-} RETIS_HOOKCOST_N RETIS_HOOKCOST_ROUNDS"
export RETIS_HOOKCOST_N=${RETIS_HOOKCOST_N:-200} RETIS_HOOKCOST_ROUNDS=${RETIS_HOOKCOST_ROUNDS:-51}
mkdir -p .bench
rc=0
vm/test.sh "$@" >.bench/hookcost.log 2>&1 || rc=$?
# vm/test.sh keeps each kernel's full output in bin/vmtest/KERNEL.log.
for f in bin/vmtest/*.log; do
	[ -f "$f" ] && grep -h '^hookcost: ' "$f" | sed 's/^hookcost: /  /'
done
if [ $rc -ne 0 ]; then
	echo "hook cost: the VM run failed (status $rc):"
	tail -n 30 .bench/hookcost.log
	exit $rc
fi
