#!/bin/bash
# Installs the Debian packages the VM tier needs on the host, if missing:
# qemu (TCG), the static busybox for the initramfs, kmod for depmod and
# module autoload in the guest, and the decompressors for kernel images
# and modules. apt's lists are refreshed only when something is missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

packages=(qemu-system-x86 busybox-static kmod xz-utils zstd)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	[ -n "${VM_QUIET:-}" ] || log "host packages present: ${packages[*]}"
	exit 0
fi
command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get: install them by hand"
log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -qq update
apt-get -qq install -y --no-install-recommends "${missing[@]}" >/dev/null
