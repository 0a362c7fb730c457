#!/usr/bin/env bash
# The built-in demo. Until live collection lands it post-processes an event
# file written by Retis itself.
set -euo pipefail
cd "$(dirname "$0")/.."
data=../shared/retis-compat/test_events_packets.json
export NOPAGER=1
echo "== retis stats $data"
bin/retis stats "$data"
