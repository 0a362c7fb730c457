#!/usr/bin/env bash
# Attach time (part of `make bench`): from starting `retis collect` to its
# probes being attached (the moment --cmd runs, right after "probe(s)
# loaded"), and to its exit once that command returned at once, for the
# generic profile against the default probes in the same run. The median
# of ATTACH_RUNS (default 3) runs of each, alternated.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${ATTACH_RUNS:-3}
dir=$PWD/.bench/attach
retis=$PWD/bin/retis
if [ "$(id -u)" != 0 ]; then
  echo "attach time: skipped, needs root"
  exit 0
fi
mkdir -p "$dir"
trap 'rm -f "$dir"/*.data' EXIT

# one NAME ARGS...: one run; appends "attach_ms total_ms probes" to $dir/NAME.
one() {
  local name=$1; shift
  rm -f "$dir/t1"
  local t0 t2
  t0=$(date +%s%N)
  "$retis" collect -o "$dir/$name.data" "$@" --cmd "date +%s%N >'$dir/t1'" >"$dir/$name.log" 2>&1
  t2=$(date +%s%N)
  local probes
  probes=$(sed -n 's/.*] \([0-9]*\) probe(s) loaded.*/\1/p' "$dir/$name.log")
  echo "$(( ($(cat "$dir/t1") - t0) / 1000000 )) $(( (t2 - t0) / 1000000 )) ${probes:-?}" >>"$dir/$name"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

rm -f "$dir/default" "$dir/generic"
for _ in $(seq "$runs"); do
  one default
  one generic -p generic
done
for name in default generic; do
  read -r _ _ probes <"$dir/$name"
  eval "attach_$name=$(cut -d' ' -f1 "$dir/$name" | median)"
  eval "total_$name=$(cut -d' ' -f2 "$dir/$name" | median)"
  eval "probes_$name=$probes"
done
printf '  default probes (%s probes):   attached after %5d ms, exit after %5d ms\n' \
  "$probes_default" "$attach_default" "$total_default"
printf '  -p generic (%s probes):       attached after %5d ms, exit after %5d ms\n' \
  "$probes_generic" "$attach_generic" "$total_generic"
printf '  generic / default attach time: %.2fx  (median of %d runs each)\n' \
  "$(awk -v a="$attach_generic" -v b="$attach_default" 'BEGIN { print a / b }')" "$runs"
