#!/usr/bin/env bash
# Flood ratios (part of `make bench`): two network namespaces over a veth
# pair, (a) a UDP flood of 60-byte frames (bin/udpflood, sendmmsg) and
# (b) iperf3 TCP, each untraced, under `retis collect -o` on the default
# probes plus skb:kfree_skb, under bpftrace counting on the same three
# tracepoints and under `tcpdump -w` on the veth. Each traced throughput
# is printed as a ratio of the untraced one measured in the same run
# (untraced runs first and last; their mean is the reference).
#
# Needs root. bpftrace and iperf3 are bench-only dependencies (`make
# bench-deps` installs them); a missing peer is skipped with the reason.
# No traffic leaves the namespaces created here; they are removed on any
# exit.
#
# FLOOD_SECS (default 3) is the length of each run, FLOOD_ROUNDS (default
# 1) how many times every peer runs (the untraced one once more);
# FLOOD_RETIS_ARGS adds arguments to retis collect (e.g. "-c skb-tracking"
# to see what the other collectors cost), FLOOD_OUT replaces its output
# file (e.g. /dev/null to leave the file system out), FLOOD_PEERS limits
# the peers (e.g. "retis"), FLOOD_TCP=0 skips iperf3.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FLOOD_SECS:-3}
rounds=${FLOOD_ROUNDS:-1}
dir=$PWD/.bench/flood
retis=$PWD/bin/retis
udpflood=$PWD/bin/udpflood
a=retis-bench-a-$$ b=retis-bench-b-$$
dev=veth-bench
ipa=10.209.0.1 ipb=10.209.0.2
tps=(net:netif_receive_skb net:net_dev_start_xmit skb:kfree_skb)

pids=()
mounted_tracefs=
stats_was=
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
  rm -f "$dir"/*.data* "$dir"/*.pcap
  if [ -n "$mounted_tracefs" ]; then umount /sys/kernel/tracing 2>/dev/null || true; fi
  if [ -n "$stats_was" ]; then sysctl -qw kernel.bpf_stats_enabled="$stats_was" || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" != 0 ]; then
  echo "flood ratios: skipped, needs root (network namespaces, BPF)"
  exit 0
fi
mkdir -p "$dir"
go build -o "$udpflood" ./cmd/udpflood

ip netns add "$a"
ip netns add "$b"
ip link add "$dev" netns "$a" type veth peer name "$dev" netns "$b"
ip -n "$a" addr add "$ipa/24" dev "$dev"
ip -n "$b" addr add "$ipb/24" dev "$dev"
for ns in "$a" "$b"; do
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$dev" up
done

# wait_for FILE PATTERN PID: until PATTERN shows in FILE, or PID died.
wait_for() {
  local i
  for i in $(seq 200); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "  process $3 exited early:"; sed 's/^/    /' "$1"; return 1; }
    sleep 0.05
  done
  echo "  timed out waiting for '$2' in $1"
  return 1
}

# The peers; each start_X launches the tracer in the background and waits
# until it is attached, stop_X stops it and sets $note.
peers=(none retis)
declare -A skip=()
if ! command -v bpftrace >/dev/null; then
  skip[bpftrace]="bpftrace not installed (make bench-deps, or apt-get install bpftrace)"
elif [ -e /sys/kernel/tracing/events ]; then
  peers+=(bpftrace)
elif mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; then
  # bpftrace finds tracepoints through tracefs; unmounted again at exit.
  mounted_tracefs=1
  peers+=(bpftrace)
else
  skip[bpftrace]="tracefs is not mounted on /sys/kernel/tracing and cannot be"
fi
command -v tcpdump >/dev/null && peers+=(tcpdump) || skip[tcpdump]="tcpdump not installed (apt-get install tcpdump)"
if [ -n "${FLOOD_PEERS:-}" ]; then
  keep=()
  for p in "${peers[@]}"; do
    [[ " $FLOOD_PEERS " == *" $p "* || $p == none ]] && keep+=("$p")
  done
  peers=("${keep[@]}")
fi
peers+=(none)
tracer=

start_none() { tracer=; }
stop_none() { note=; }

start_retis() {
  local args=() tp
  for tp in "${tps[@]}"; do args+=(-p "tp:$tp"); done
  # shellcheck disable=SC2086 # FLOOD_RETIS_ARGS is a list of words
  "$retis" collect -o "${FLOOD_OUT:-$dir/retis.data}" "${args[@]}" ${FLOOD_RETIS_ARGS:-} >"$dir/retis.log" 2>&1 &
  tracer=$!
  pids+=("$tracer")
  wait_for "$dir/retis.log" 'probe(s) loaded' "$tracer"
}
stop_retis() {
  kill -INT "$tracer"
  wait "$tracer" || true
  # "N event(s) processed, M lost"
  read -r events lost < <(sed -n 's/.*] \([0-9]*\) event(s) processed, \([0-9]*\) lost.*/\1 \2/p' "$dir/retis.log")
  note="events written ${events:-?}, lost ${lost:-?}"
  rm -f "$dir/retis.data"
}

start_bpftrace() {
  local prog=() tp
  for tp in "${tps[@]}"; do prog+=("tracepoint:$tp"); done
  prog=$(IFS=,; echo "${prog[*]}")
  bpftrace -e "$prog { @[probe] = count(); }" >"$dir/bpftrace.log" 2>&1 &
  tracer=$!
  pids+=("$tracer")
  wait_for "$dir/bpftrace.log" 'Attaching' "$tracer"
  sleep 0.2
}
stop_bpftrace() {
  kill -INT "$tracer"
  wait "$tracer" || true
  note="events counted $(awk -F': ' '/^@/ { n += $2 } END { print n + 0 }' "$dir/bpftrace.log")"
}

start_tcpdump() {
  ip netns exec "$b" tcpdump -i "$dev" -w "$dir/flood.pcap" >"$dir/tcpdump.log" 2>&1 &
  tracer=$!
  pids+=("$tracer")
  wait_for "$dir/tcpdump.log" 'listening on' "$tracer"
}
stop_tcpdump() {
  kill -INT "$tracer"
  wait "$tracer" || true
  note="$(grep -E 'captured|dropped by kernel' "$dir/tcpdump.log" | paste -sd, | sed 's/  */ /g')"
  rm -f "$dir/flood.pcap"
}

# Loads: set $val to the throughput received and $sent to the rate sent
# (the stack's work, done in the sender's context over a veth; empty when
# the load has no such figure).
load_udp() {
  ip netns exec "$b" "$udpflood" -recv "$ipb:9000" -t "${secs}s" >"$dir/recv.out" 2>"$dir/recv.err" &
  local rx=$!
  pids+=("$rx")
  wait_for "$dir/recv.err" listening "$rx"
  ip netns exec "$a" "$udpflood" -send "$ipb:9000" -t "${secs}s" >"$dir/send.out"
  wait "$rx"
  val=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' "$dir/recv.out")
  sent=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' "$dir/send.out")
}

load_tcp() {
  ip netns exec "$b" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
  local srv=$!
  pids+=("$srv")
  local i
  for i in $(seq 100); do
    ip netns exec "$b" ss -Hltn 'sport = :5201' | grep -q . && break
    sleep 0.05
  done
  ip netns exec "$a" iperf3 -c "$ipb" -p 5201 -t "$secs" -J >"$dir/iperf.json"
  wait "$srv" || true
  val=$(jq '.end.sum_received.bits_per_second' "$dir/iperf.json")
  sent=
}

# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks.
cpu_ticks() {
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# measure LOAD UNIT: FLOOD_ROUNDS rounds of every peer in turn under LOAD
# (untraced first and last), then each peer's mean throughput as a ratio
# of the untraced mean.
measure() {
  local load=$1 unit=$2 peer round t0 t1 c0 c1 cpu
  local -a order=()
  declare -A sum=() sumsent=() runs=() notes=()
  for round in $(seq "$rounds"); do
    for peer in "${peers[@]}"; do
      [ "$peer" = none ] && [ "$round" -gt 1 ] && [ "${#order[@]}" -gt 0 ] && [ "${order[-1]}" = none ] && continue
      "start_$peer"
      c0=0; [ -z "$tracer" ] || c0=$(cpu_ticks "$tracer")
      t0=$(date +%s%N)
      "load_$load"
      t1=$(date +%s%N)
      c1=0; [ -z "$tracer" ] || c1=$(cpu_ticks "$tracer")
      cpu=$(awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v ns="$((t1 - t0))" 'BEGIN { printf "%.2f", c / hz / (ns / 1e9) }')
      "stop_$peer"
      [ -z "$tracer" ] || note="$note; userspace $cpu CPUs"
      order+=("$peer")
      sum[$peer]=$(awk -v a="${sum[$peer]:-0}" -v b="$val" 'BEGIN { print a + b }')
      sumsent[$peer]=$(awk -v a="${sumsent[$peer]:-0}" -v b="${sent:-0}" 'BEGIN { print a + b }')
      runs[$peer]=$(( ${runs[$peer]:-0} + 1 ))
      notes[$peer]=$note
      [ "$rounds" = 1 ] || printf '    round %d %-9s %14.0f %s%s\n' "$round" "$peer" "$val" "$unit" "${sent:+, sent $sent pps}" >&2
    done
  done
  local base basesent
  base=$(awk -v a="${sum[none]}" -v n="${runs[none]}" 'BEGIN { print a / n }')
  basesent=$(awk -v a="${sumsent[none]}" -v n="${runs[none]}" 'BEGIN { print a / n }')
  for peer in none retis bpftrace tcpdump; do
    [ -n "${runs[$peer]:-}" ] || continue
    awk -v p="$peer" -v s="${sum[$peer]}" -v ss="${sumsent[$peer]}" -v n="${runs[$peer]}" -v b="$base" -v bs="$basesent" \
      -v u="$unit" -v note="${notes[$peer]}" 'BEGIN {
        printf "  %-9s %14.0f %-4s %5.2fx", p, s / n, u, s / n / b
        if (bs > 0) printf "   sent %8.0f pps %5.2fx", ss / n, ss / n / bs
        printf "  %s\n", (n > 1 ? "(" n " runs) " : "") note
      }'
  done
  for peer in "${!skip[@]}"; do
    printf '  %-9s skipped: %s\n' "$peer" "${skip[$peer]}"
  done
}

echo "UDP flood, 60-byte frames, ${secs}s per run (packets/s received, and sent; ratios to untraced):"
measure udp pps
echo
if [ "${FLOOD_TCP:-1}" = 0 ]; then
  echo "iperf3 TCP: skipped (FLOOD_TCP=0)"
elif command -v iperf3 >/dev/null; then
  echo "iperf3 TCP, ${secs}s per run (bits/s received; ratio to untraced):"
  measure tcp bps
else
  echo "iperf3 TCP: skipped, iperf3 not installed (make bench-deps, or apt-get install iperf3)"
fi

# BPF cost: one more UDP flood under each BPF peer with the kernel's BPF
# run statistics on, giving the time each program takes per run.
echo
if ! command -v bpftool >/dev/null; then
  echo "BPF program cost: skipped, bpftool not installed (make bench-deps, or apt-get install bpftool)"
  exit 0
fi
echo "BPF program cost under the UDP flood (kernel.bpf_stats_enabled, ${secs}s; mean ns per run):"
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
for peer in retis bpftrace; do
  [ -z "${skip[$peer]:-}" ] || continue
  [[ " ${peers[*]} " == *" $peer "* ]] || continue
  bpftool prog show -j | jq '.[].id' >"$dir/progs.before"
  "start_$peer"
  sysctl -qw kernel.bpf_stats_enabled=1
  load_udp
  bpftool prog show -j >"$dir/progs.json"
  bpftool link show -j >"$dir/links.json"
  sysctl -qw kernel.bpf_stats_enabled="$stats_was"
  "stop_$peer"
  sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' "$dir/send.out")
  # Programs loaded since the peer started: its own (another process
  # loading programs meanwhile would show up too).
  jq -r --slurpfile before "$dir/progs.before" --slurpfile links "$dir/links.json" '
    ($links[0] | map({key: (.prog_id | tostring), value: (.tp_name // "")}) | from_entries) as $tp
    | .[] | select(.id as $id | $before | index($id) | not) | select((.run_cnt // 0) > 0)
    | "\(.name) \($tp[.id | tostring] // "-") \(.run_cnt) \(.run_time_ns)"' "$dir/progs.json" >"$dir/cost"
  awk -v peer="$peer" -v sent="$sent" -v val="$val" '
    { printf "  %-9s %-16s %-20s %9d runs %6.0f ns/run\n", peer, $1, $2, $3, $4 / $3; ns += $4 }
    END { if (sent > 0) printf "  %-9s total %.0f ns of BPF per packet sent (%d sent, %.0f pps received)\n", peer, ns / sent, sent, val }' "$dir/cost"
done
