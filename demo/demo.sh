#!/usr/bin/env bash
# The built-in demo: two network namespaces over a veth pair, an nft rule
# dropping UDP port 9999, some traffic, a collection with tracking, then
# the dropped packet's series with the nft rule that dropped it and the
# drop reason. Cleans up after itself.
set -euo pipefail
cd "$(dirname "$0")/.."
retis=$PWD/bin/retis
a=retis-demo-a b=retis-demo-b
work=$(mktemp -d)
cleanup() {
  ip netns del "$a" 2>/dev/null || true
  ip netns del "$b" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cleanup_quiet() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; }
cleanup_quiet

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "setting up: $a (10.200.0.1) <-veth-> $b (10.200.0.2), nft drops udp dport 9999 in $b"
ip netns add "$a"
ip netns add "$b"
ip link add veth-demo netns "$a" type veth peer name veth-demo netns "$b"
ip -n "$a" addr add 10.200.0.1/24 dev veth-demo
ip -n "$b" addr add 10.200.0.2/24 dev veth-demo
for ns in "$a" "$b"; do
  ip -n "$ns" link set lo up
  ip -n "$ns" link set veth-demo up
done
ip netns exec "$b" nft -f - <<'NFT'
table inet retis_demo {
  chain input {
    type filter hook input priority 0; policy accept;
    udp dport 9999 counter drop
  }
}
NFT

traffic="ip netns exec $a ping -q -c 2 -i 0.2 10.200.0.2 >/dev/null; ip netns exec $a bash -c 'echo hello >/dev/udp/10.200.0.2/9999'; sleep 0.2"

say "retis collect (packets to or from 10.200.0.2, followed by skb tracking; nft verdicts in $b)"
export NOPAGER=1
"$retis" collect -c skb,skb-drop,skb-tracking,dev,ns,nft \
  --allow-system-changes --nft-netns "$b" --nft-verdicts drop \
  -p tp:net:netif_receive_skb -p tp:net:net_dev_start_xmit \
  -f 'host 10.200.0.2' -o "$work/retis.data" --cmd "$traffic"

say "retis stats"
"$retis" stats "$work/retis.data"

say "retis sort -f 'udp port 9999': the dropped packet's series"
"$retis" sort -f 'udp port 9999' "$work/retis.data" | tee "$work/drop.txt"
if ! grep -q 'drop (reason NETFILTER_DROP)' "$work/drop.txt"; then
  echo "demo: the UDP packet to port 9999 was not seen dropped" >&2
  exit 1
fi
if ! grep -q 'table retis_demo ([0-9]*) chain input ([0-9]*) handle [0-9]* drop' "$work/drop.txt"; then
  echo "demo: the nft rule that dropped the packet is not in its series" >&2
  exit 1
fi

say "retis pcap | tcpdump -nnr -"
"$retis" pcap "$work/retis.data" | tcpdump -nnr - 2>/dev/null
