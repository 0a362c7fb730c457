#!/usr/bin/env bash
# The built-in demo. Until live collection lands it post-processes an event
# file written by Retis itself: summary, the packets grouped per packet
# (sort), and a pcap-ng read back by tcpdump.
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/retis-compat/test_events_packets.json
export NOPAGER=1
echo "== retis stats $data"
bin/retis stats "$data"
echo
echo "== retis sort $data (one series per packet)"
bin/retis sort "$data"
echo "== retis pcap $data | tcpdump -nnr -"
bin/retis pcap "$data" | tcpdump -nnr - 2>/dev/null | head -5
