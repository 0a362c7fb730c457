#!/bin/bash
# Fetches the kernels pinned in vm/kernels.lock with `apt-get download`,
# unpacks them with dpkg-deb (they are never installed as the host's
# kernel), builds their modules.dep and extracts the ELF vmlinux that qemu
# boots directly (PVH entry: about twice as fast to the first command as the
# bzImage). Idempotent: a kernel already unpacked at its pinned version is
# left alone, and downloaded .debs are kept so a re-unpack needs no network.
#
# usage: vm/kernels.sh [NAME...]   unpack these kernels (default: all)
#        vm/kernels.sh --list      kernel packages the lock's suites offer
set -euo pipefail
. "$(dirname "$0")/lib.sh"
lock_cache

# extract_vmlinux BZIMAGE OUT decompresses the kernel payload of a bzImage,
# located through the boot protocol header (payload_offset/payload_length,
# protocol >= 2.08), into an ELF file.
extract_vmlinux() {
	local img=$1 out=$2 setup_sects off len start magic decomp
	[ "$(dd if="$img" bs=1 skip=$((0x202)) count=4 2>/dev/null)" = HdrS ] ||
		die "$img: no x86 boot protocol header (HdrS): not a bzImage"
	setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$img" | tr -d ' ')
	[ "$setup_sects" -ne 0 ] || setup_sects=4
	off=$(od -An -tu4 -j $((0x248)) -N4 "$img" | tr -d ' ')
	len=$(od -An -tu4 -j $((0x24c)) -N4 "$img" | tr -d ' ')
	start=$(((setup_sects + 1) * 512 + off))
	magic=$(od -An -tx1 -j "$start" -N6 "$img" | tr -d ' \n')
	case $magic in
	1f8b*) decomp="gzip -dc" ;;
	fd377a585a00) decomp="xz -dc" ;;
	28b52ffd*) decomp="zstd -dcq" ;;
	5d00*) decomp="xz -dc --format=lzma" ;;
	02214c18*) decomp="lz4 -dc" ;;
	*) die "$img: unknown payload compression (magic $magic)" ;;
	esac
	# The build appends the uncompressed size (4 bytes) to the payload:
	# decompressors reject it as trailing garbage, so leave it out.
	dd if="$img" bs=64K iflag=skip_bytes,count_bytes skip="$start" count=$((len - 4)) status=none |
		$decomp >"$out" ||
		die "$img: decompressing the payload with '$decomp' failed"
	[ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] ||
		die "$img: the payload is not an ELF vmlinux"
}

# unpack NAME makes kernel NAME ready under kernel_dir NAME.
unpack() {
	lock_entry "$1"
	local kdir tmp release
	kdir=$(kernel_dir "$lk_name")
	if [ -f "$kdir/kernel.env" ] &&
		grep -qxF "PACKAGE=$lk_package" "$kdir/kernel.env" &&
		grep -qxF "VERSION=$lk_version" "$kdir/kernel.env"; then
		[ -n "${VM_QUIET:-}" ] || log "$lk_name: $lk_package $lk_version ready in $kdir"
		return 0
	fi
	fetch_deb "$lk_name" "$lk_package" "$lk_version" "$lk_suite"
	tmp=$kdir.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	log "$lk_name: unpacking $(basename "$deb")"
	dpkg-deb -x "$deb" "$tmp/root"
	# /lib is a symlink to /usr/lib on merged-/usr hosts: keep the modules
	# at one real path whichever way the package lays them out.
	if [ -d "$tmp/root/usr/lib/modules" ] && [ ! -d "$tmp/root/lib/modules" ]; then
		mkdir -p "$tmp/root/lib"
		mv "$tmp/root/usr/lib/modules" "$tmp/root/lib/modules"
	fi
	release=$(ls "$tmp/root/lib/modules")
	[ "$(echo "$release" | wc -l)" -eq 1 ] || die "$deb: expected one /lib/modules/RELEASE, found: $release"
	log "$lk_name: depmod $release"
	depmod -b "$tmp/root" "$release"
	log "$lk_name: extracting vmlinux from vmlinuz-$release"
	extract_vmlinux "$tmp/root/boot/vmlinuz-$release" "$tmp/vmlinux"
	cat >"$tmp/kernel.env" <<-EOF
		NAME=$lk_name
		PACKAGE=$lk_package
		VERSION=$lk_version
		RELEASE=$release
		LACKS=$lk_lacks
	EOF
	rm -rf "$kdir"
	mv "$tmp" "$kdir"
	log "$lk_name: ready ($release, $(du -sh "$kdir" | cut -f1))"
}

if [ "${1:-}" = --list ]; then
	apt_setup
	apt-cache search --names-only '^linux-image-[0-9][^ ]*-amd64$' | grep -v -e -cloud- -e -rt- | sort -V |
		while read -r pkg _; do
			apt-cache madison "$pkg" | awk -F' *[|] *' '{ split($3, s, " "); sub(/\/.*/, "", s[2]); print $1, $2, s[2] }'
		done
	exit 0
fi

command -v depmod >/dev/null || die "depmod not found: install kmod (make -f vm/vm.mk vm-deps)"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found: a Debian host is needed"
if [ $# -eq 0 ]; then mapfile -t names < <(lock_names); set -- "${names[@]}"; fi
for name in "$@"; do
	unpack "$name"
done
