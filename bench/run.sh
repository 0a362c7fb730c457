#!/usr/bin/env bash
# `make bench`: each figure is a ratio against a peer measured in the same
# run, since these machines are shared and noisy. Prints a summary table.
#
# BENCH_EVENTS (default 1000000) sizes the post-processing file; below a
# million the collection benchmarks run short too (quick run). As root,
# the collection benchmarks follow: the ring buffer -> file ceiling, the
# flood ratios (bench/flood.sh; bpftrace and iperf3 from `make
# bench-deps`, a missing one is skipped) and the attach time
# (bench/attach.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${BENCH_EVENTS:-1000000}
dir=.bench
mkdir -p "$dir"
if [ "$n" -lt 1000000 ]; then
  export RETIS_BENCH_SECS=${RETIS_BENCH_SECS:-0.5} FLOOD_SECS=${FLOOD_SECS:-1} ATTACH_RUNS=${ATTACH_RUNS:-1}
fi
data=$dir/events-$n.data
if [ ! -s "$data" ]; then
  echo "generating $n events into $data..."
  go run ./cmd/benchgen -n "$n" -o "$data"
fi
size=$(stat -c %s "$data")
echo "events file: $n events, $((size / 1024 / 1024)) MiB"

# run NAME CMD...: wall seconds and peak RSS (KiB) of CMD, output discarded.
run() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$dir/time.$name" "$@" >/dev/null
  read -r secs rss <"$dir/time.$name"
  eval "secs_$name=$secs rss_$name=$rss"
  printf '  %-8s %7.2f s  %8d KiB peak RSS\n' "$name" "$secs" "$rss"
}

export NOPAGER=1
run jq    jq -c . "$data"
run print bin/retis print "$data"
run sort  bin/retis sort "$data"
run sortj bin/retis sort "$data" -o /dev/stdout
run starlark bin/retis run bench/drop_reasons.star -i "$data"
run jqdrops sh -c "jq -r 'select(.\"skb-drop\") | .\"skb-drop\".drop_reason' '$data' | sort | uniq -c"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "post-processing, $n events (higher is better for speedups):"
echo "  print speedup over jq -c .:     $(ratio "$secs_jq" "$secs_print")x   (goal >= 2)"
echo "  sort speedup over jq -c .:      $(ratio "$secs_jq" "$secs_sort")x   (goal >= 2)"
echo "  sort -o speedup over jq -c .:   $(ratio "$secs_jq" "$secs_sortj")x"
echo "  sort peak RSS / file size:      $(ratio "$((rss_sort * 1024))" "$size")   (goal <= 2)"
echo "  Starlark drop count over jq:    $(ratio "$secs_jqdrops" "$secs_starlark")x"

echo
echo "print through its built-in script against the Go path (ratio, goal <= 1.3):"
go test ./scripts -run '^$' -bench PrintScriptVsGo -benchtime 3x | grep -E '^Benchmark'

echo
echo "Go micro-benchmarks:"
go test -run '^$' -bench . -benchtime 20000x ./engine/events/ ./engine/output/ | grep -E '^Benchmark'
echo
echo "events file writes, 800-byte lines: direct I/O against the page cache (file in ${TMPDIR:-/tmp}):"
go test -run '^$' -bench . -benchtime 2000000x ./internal/directio | grep -E '^Benchmark|skip' || true
echo
echo "kernel packet filter (tcp port 443 and host 10.0.0.1) against no filter, through BPF_PROG_TEST_RUN:"
go test -run '^$' -bench PacketFilter ./engine/filter | grep -E '^Benchmark|skip' || true
echo
echo "userspace packet filter (-f after collection) against tcpdump -r:"
go test -run '^$' -bench . ./engine/filter/cbpf | grep -E '^Benchmark'

if [ "$(id -u)" != 0 ]; then
  echo
  echo "collection benchmarks: skipped, they need root (BPF, network namespaces)"
  exit 0
fi

# Other busy processes make every figure below lower (they are not
# ratios to a peer in the same run, or less so): say so.
echo
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "ring buffer -> file ceiling (BPF_PROG_TEST_RUN producer with packet data, file in ${TMPDIR:-/tmp}):"
RETIS_BENCH=1 go test -count=1 -run 'TestRingToFileCeiling$' -v ./engine/collect 2>&1 |
  sed -n 's/^ *bench_test.go:[0-9]*: /  /p; s/^--- SKIP.*/  skipped/p' | tee "$dir/ceiling.out"

echo
bash bench/flood.sh | tee "$dir/flood.out"

echo
echo "attach time, default probes against -p generic:"
bash bench/attach.sh | tee "$dir/attach.out"

echo
echo "per-hit cost of the probe on one hook (kfree_skb) by attach backend, against tp_btf, in the VM tier:"
bash bench/hookcost.sh | tee "$dir/hookcost.out"

echo
echo "collection summary:"
sed -n 's/^  ceiling: /  ring -> file ceiling:           /p' "$dir/ceiling.out"
awk '/^UDP flood/ { load = "UDP" } /^iperf3 TCP/ { load = "TCP" } /^BPF program cost/ { load = "" }
  load != "" && $1 ~ /^(retis|bpftrace|tcpdump)$/ && $4 ~ /x$/ {
    printf "  %s traced/untraced, %-9s %s%s%s\n", load, $1 ":", $4, ($5 == "sent" ? " received, " $8 " sent" : ""),
      ($1 == "retis" ? "  (goal >= 0.95, ahead of bpftrace and tcpdump)" : "")
  }' "$dir/flood.out"
sed -n 's/^  generic \/ default attach time: /  attach -p generic \/ default:   /p' "$dir/attach.out"
sed -n 's/^  \([0-9][^ ]*\) \(tracking\|event\): /  probe cost vs tp_btf, \1 \2: /p' "$dir/hookcost.out"
