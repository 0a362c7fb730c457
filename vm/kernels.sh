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

apt_dir=$vm_cache/apt

# debian_source prints "URI KEYRING" of the host's Debian archive: the apt
# source that lists the host's own release codename. The private apt
# configuration reuses that URI for the suites in the lock (bookworm-backports
# is not in the host's sources), so no mirror name is written anywhere.
debian_source() {
	local codename
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release: cannot find the Debian apt source (a Debian host is needed to fetch kernels)"
	{
		# deb822 paragraphs (*.sources).
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			awk -v c="$codename" '
				function flush() {
					if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " c " ") && uri != "")
						print uri, (key == "" ? "-" : key)
					types = suites = uri = key = enabled = ""
				}
				/^[ \t]*$/ { flush(); next }
				/^[ \t]*#/ { next }
				tolower($1) == "types:"     { $1 = ""; types = $0 }
				tolower($1) == "suites:"    { $1 = ""; suites = $0 }
				tolower($1) == "uris:"      { uri = $2 }
				tolower($1) == "signed-by:" { key = $2 }
				tolower($1) == "enabled:"   { enabled = tolower($2) }
				END { flush() }' "$f"
		done
		# One-line entries (sources.list, *.list).
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			awk -v c="$codename" '
				$1 != "deb" { next }
				{
					key = "-"; i = 2
					if ($2 ~ /^\[/) {
						for (; i <= NF; i++) {
							if ($i ~ /signed-by=/) { key = $i; sub(/.*signed-by=/, "", key); sub(/\]$/, "", key) }
							if ($i ~ /\]$/) { i++; break }
						}
					}
					if ($(i + 1) == c) print $i, key
				}' "$f"
		done
	} | awk '$2 == "-" || $2 ~ /^\// { print; exit }'
}

# apt_setup writes a private APT_CONFIG with the host's Debian archive and
# every suite the lock names, and refreshes its package lists once per run.
apt_updated=
apt_setup() {
	[ -z "$apt_updated" ] || return 0
	local src uri key suites
	src=$(debian_source)
	[ -n "$src" ] || die "no apt source for this Debian release in /etc/apt: cannot derive one for the kernel suites"
	read -r uri key <<<"$src"
	if [ "$key" = "-" ] && [ -f /usr/share/keyrings/debian-archive-keyring.gpg ]; then
		key=/usr/share/keyrings/debian-archive-keyring.gpg
	fi
	suites=$(awk '!/^#/ && NF { print $4 }' "$vm_lock" | sort -u | tr '\n' ' ')
	mkdir -p "$apt_dir"/{sources,prefs,lists/partial,cache/archives/partial,state}
	{
		echo "Types: deb"
		echo "URIs: $uri"
		echo "Suites: $suites"
		echo "Components: main"
		if [ "$key" != "-" ]; then echo "Signed-By: $key"; fi
	} >"$apt_dir/sources/debian.sources"
	cat >"$apt_dir/apt.conf" <<-EOF
		Dir::State "$apt_dir/state";
		Dir::State::Lists "$apt_dir/lists";
		Dir::State::status "/var/lib/dpkg/status";
		Dir::Cache "$apt_dir/cache";
		Dir::Etc::SourceList "/dev/null";
		Dir::Etc::SourceParts "$apt_dir/sources";
		Dir::Etc::Preferences "/dev/null";
		Dir::Etc::PreferencesParts "$apt_dir/prefs";
		APT::Sandbox::User "root";
	EOF
	export APT_CONFIG=$apt_dir/apt.conf
	log "apt: refreshing package lists for suites: $suites(from $uri)"
	apt-get -qq update >"$apt_dir/update.log" 2>&1 ||
		die "apt-get update failed (private config $APT_CONFIG); see $apt_dir/update.log"
	apt_updated=1
}

# fetch_deb PACKAGE VERSION sets deb to the path of the cached .deb,
# downloading it first if needed.
fetch_deb() {
	local pkg=$1 ver=$2 tmp
	deb=$vm_cache/debs/${pkg}_${ver}.deb
	if [ ! -f "$deb" ]; then
		apt_setup
		mkdir -p "$vm_cache/debs"
		tmp=$(mktemp -d "$vm_cache/debs/.dl.XXXXXX")
		log "$lk_name: downloading $pkg $ver"
		if ! (cd "$tmp" && apt-get -q download "$pkg=$ver" >&2); then
			rm -rf "$tmp"
			die "cannot download $pkg=$ver from suite $lk_suite: the archive may have dropped it; list what it offers with 'vm/kernels.sh --list' and pin a newer version in vm/kernels.lock"
		fi
		mv "$tmp"/*.deb "$deb"
		rm -rf "$tmp"
	fi
}

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
	local kdir deb tmp root release
	kdir=$(kernel_dir "$lk_name")
	if [ -f "$kdir/kernel.env" ] &&
		grep -qxF "PACKAGE=$lk_package" "$kdir/kernel.env" &&
		grep -qxF "VERSION=$lk_version" "$kdir/kernel.env"; then
		[ -n "${VM_QUIET:-}" ] || log "$lk_name: $lk_package $lk_version ready in $kdir"
		return 0
	fi
	fetch_deb "$lk_package" "$lk_version"
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
if [ $# -eq 0 ]; then set -- $(lock_names); fi
for name in "$@"; do
	unpack "$name"
done
