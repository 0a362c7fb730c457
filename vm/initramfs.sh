#!/bin/bash
# Builds one initramfs per kernel: Debian's static busybox, vm/initramfs/init
# and the few modules the guest needs before it can mount the host root
# (virtio PCI, 9p, overlayfs), decompressed so busybox's insmod loads them
# whatever compression the kernel package uses. The archive is left
# uncompressed: the guest unpacks it faster than it would decompress it.
#
# usage: vm/initramfs.sh [NAME...]   (default: every kernel in the lock)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lock_cache

busybox=/bin/busybox
boot_modules="virtio_pci 9pnet_virtio 9p overlay"

build() {
	local name=$1 kdir out tmp release m base
	kdir=$(kernel_dir "$name")
	[ -f "$kdir/kernel.env" ] || "$vm_dir/kernels.sh" "$name"
	out=$kdir/initramfs.cpio
	if [ -f "$out" ] && [ "$out" -nt "$vm_dir/initramfs/init" ] && [ "$out" -nt "$0" ] &&
		[ "$out" -nt "$kdir/kernel.env" ] && [ "$out" -nt "$busybox" ]; then
		[ -n "${VM_QUIET:-}" ] || log "$name: initramfs up to date"
		return 0
	fi
	release=$(sed -n 's/^RELEASE=//p' "$kdir/kernel.env")
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	mkdir -p "$tmp"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,modules}
	cp "$busybox" "$tmp/bin/busybox"
	cp "$vm_dir/initramfs/init" "$tmp/init"
	chmod 0755 "$tmp/init"
	# The kernel opens /dev/console for init before init mounts devtmpfs.
	mknod -m 0600 "$tmp/dev/console" c 5 1
	# shellcheck disable=SC2086 # a list of module names
	modprobe -a -d "$kdir/root" -S "$release" --show-depends $boot_modules |
		awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$tmp/paths"
	: >"$tmp/modules/order"
	while read -r m; do
		base=$(basename "$m")
		case $m in
		*.ko.xz) base=${base%.xz}; xz -dc "$m" >"$tmp/modules/$base" ;;
		*.ko.zst) base=${base%.zst}; zstd -dcq "$m" >"$tmp/modules/$base" ;;
		*.ko.gz) base=${base%.gz}; gzip -dc "$m" >"$tmp/modules/$base" ;;
		*.ko) cp "$m" "$tmp/modules/$base" ;;
		*) die "$m: unknown module file type" ;;
		esac
		echo "$base" >>"$tmp/modules/order"
	done <"$tmp/paths"
	rm "$tmp/paths"
	(cd "$tmp" && find . -mindepth 1 | LC_ALL=C sort | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) >"$out.tmp"
	mv "$out.tmp" "$out"
	log "$name: initramfs $out ($(du -h "$out" | cut -f1), modules: $(tr '\n' ' ' <"$tmp/modules/order"))"
}

case $("$busybox" --help 2>&1 || true) in *BusyBox*) ;; *) die "$busybox is not busybox: install busybox-static (make -f vm/vm.mk vm-deps)" ;; esac
ldd "$busybox" >/dev/null 2>&1 && die "$busybox is dynamically linked: install busybox-static (make -f vm/vm.mk vm-deps)"
if [ $# -eq 0 ]; then mapfile -t names < <(lock_names); set -- "${names[@]}"; fi
for name in "$@"; do
	build "$name"
done
