#!/bin/bash
# Unpacks Open vSwitch (the "ovs" group of vm/packages.lock) into
# $VM_CACHE/ovs/root for the tests that run it in the VM: the host has no
# openvswitch module, and installing the packages would start daemons on
# the host. Idempotent.
#
# usage: vm/ovs.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lock_cache

dir=$vm_cache/ovs
want=$(awk '!/^#/ && $1 == "ovs"' "$vm_packages_lock")
if [ -f "$dir/packages" ] && [ "$(cat "$dir/packages")" = "$want" ]; then
	[ -n "${VM_QUIET:-}" ] || log "ovs: $(awk '$2 == "openvswitch-switch" { print $3 }' <<<"$want") ready in $dir/root"
	exit 0
fi
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/root"
while read -r _ pkg ver suite; do
	fetch_deb ovs "$pkg" "$ver" "$suite"
	dpkg-deb -x "$deb" "$dir.tmp/root"
done <<<"$want"
echo "$want" >"$dir.tmp/packages"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
log "ovs: unpacked into $dir/root"
