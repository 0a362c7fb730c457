# Shared by the vm/ scripts: cache layout, logging and the kernel lock.
# Sourced, never run.

vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
vm_cache=${VM_CACHE:-/var/cache/retis-vm}
vm_lock=$vm_dir/kernels.lock

# VM_QUIET=1 hides the "already done" messages (vm/run.sh sets it).
log() { printf 'vm: %s\n' "$*" >&2; }
die() {
	printf 'vm: error: %s\n' "$*" >&2
	exit 1
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
