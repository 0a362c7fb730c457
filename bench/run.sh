#!/usr/bin/env bash
# `make bench`: each figure is a ratio against a peer measured in the same
# run, since these machines are shared and noisy. Prints a summary table.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${BENCH_EVENTS:-1000000}
dir=.bench
mkdir -p "$dir"
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
echo "kernel packet filter (tcp port 443 and host 10.0.0.1) against no filter, through BPF_PROG_TEST_RUN:"
go test -run '^$' -bench PacketFilter ./engine/filter | grep -E '^Benchmark|skip' || true
echo
echo "userspace packet filter (-f after collection) against tcpdump -r:"
go test -run '^$' -bench . ./engine/filter/cbpf | grep -E '^Benchmark'
