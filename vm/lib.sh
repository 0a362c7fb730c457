# shellcheck shell=bash disable=SC2034 # lk_* and deb are set for the callers
# Shared by the vm/ scripts: cache layout, logging and the kernel lock.
# Sourced, never run.

vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vm_cache=${VM_CACHE:-/var/cache/retis-vm}
vm_lock=$vm_dir/kernels.lock
vm_packages_lock=$vm_dir/packages.lock

# log prints a progress line. The scripts skip their "already done" lines
# when VM_QUIET is set (vm/run.sh sets it).
log() { printf 'vm: %s\n' "$*" >&2; }
die() {
	printf 'vm: error: %s\n' "$*" >&2
	exit 1
}

# lock_cache serializes the scripts that write the cache (concurrent runs
# would unpack into the same place and share apt's state).
# The scripts they start inherit the lock.
lock_cache() {
	[ -z "${VM_CACHE_LOCKED:-}" ] || return 0
	mkdir -p "$vm_cache"
	exec 8>"$vm_cache/.lock"
	flock 8
	export VM_CACHE_LOCKED=1
}

# lock_names prints the kernel names of the lock file, one a line.
lock_names() {
	awk '!/^#/ && NF { print $1 }' "$vm_lock"
}

# lock_entry NAME sets lk_name, lk_package, lk_version, lk_suite and
# lk_lacks (comma-separated features the kernel is known to lack, or "").
lock_entry() {
	local line
	line=$(awk -v n="$1" '!/^#/ && $1 == n' "$vm_lock")
	[ -n "$line" ] || die "kernel '$1' is not in $vm_lock (known: $(lock_names | tr '\n' ' '))"
	read -r lk_name lk_package lk_version lk_suite lk_lacks <<<"$line"
	[ -n "$lk_suite" ] || die "$vm_lock: line for '$1' needs: name package version suite [lacks]"
	if [ "$lk_lacks" = "-" ]; then lk_lacks=""; fi
}

# kernel_dir NAME prints where the unpacked kernel NAME lives.
kernel_dir() { printf '%s/kernels/%s\n' "$vm_cache" "$1"; }

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
	suites=$(awk '!/^#/ && NF { print $4 }' "$vm_lock" "$vm_packages_lock" | sort -u | tr '\n' ' ')
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

# fetch_deb LABEL PACKAGE VERSION SUITE sets deb to the path of the cached
# .deb, downloading it first if needed. LABEL prefixes the progress lines.
fetch_deb() {
	local label=$1 pkg=$2 ver=$3 suite=$4 tmp
	deb=$vm_cache/debs/${pkg}_${ver}.deb
	if [ ! -f "$deb" ]; then
		apt_setup
		mkdir -p "$vm_cache/debs"
		tmp=$(mktemp -d "$vm_cache/debs/.dl.XXXXXX")
		log "$label: downloading $pkg $ver"
		if ! (cd "$tmp" && apt-get -q download "$pkg=$ver" >&2); then
			rm -rf "$tmp"
			die "cannot download $pkg=$ver from suite $suite: the archive may have dropped it; pin a version it offers (apt-cache madison with APT_CONFIG=$APT_CONFIG; vm/kernels.sh --list for kernels)"
		fi
		mv "$tmp"/*.deb "$deb"
		rm -rf "$tmp"
	fi
}
