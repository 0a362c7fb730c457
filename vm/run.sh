#!/bin/bash
# Runs one command in a qemu VM booting one of the kernels of
# vm/kernels.lock, with the host's root file system seen read-only (writes
# go to a tmpfs overlay) and the same working directory. The command's
# stdout and stderr are streamed to ours, and its exit status is ours.
#
# usage: vm/run.sh [-t SECONDS] KERNEL -- CMD [ARG...]
#
#   KERNEL      a name from vm/kernels.lock (fetched and unpacked if needed)
#   -t SECONDS  stop the VM after this long (default $VM_TIMEOUT or 300);
#               exit status 124 then
#
# Other exit statuses of our own: 125 when the guest stopped without
# reporting (kernel panic, init failure; the console log is printed).
# Statuses above 126 from the command are reported as 126: qemu's exit code
# has 8 bits and carries the status plus one, shifted by one.
#
# Environment: VM_CACHE (default /var/cache/retis-vm), VM_CPUS (2), VM_MEM
# (2G), VM_VERBOSE=1 to stream the kernel console to stderr, VM_APPEND for
# more kernel parameters, VM_PASS_ENV for names of variables to pass to the
# command. The command gets a fresh environment: PATH, HOME, LANG, TERM,
# those variables, RETIS_VM_KERNEL (the lock's name), RETIS_VM_RELEASE
# (uname -r), RETIS_VM_LACKS (the lock's list of features the kernel lacks)
# and, once vm/ovs.sh has unpacked Open vSwitch, RETIS_VM_OVS (where).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	echo "usage: vm/run.sh [-t SECONDS] KERNEL -- CMD [ARG...]" >&2
	echo "kernels: $(lock_names | tr '\n' ' ')" >&2
	exit 2
}

timeout_s=${VM_TIMEOUT:-300}
while getopts t:h opt; do
	case $opt in
	t) timeout_s=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -lt 3 ] || [ "$2" != "--" ]; then usage; fi
kernel=$1
shift 2
case $timeout_s in '' | *[!0-9]*) die "-t wants whole seconds, got '$timeout_s'" ;; esac

lock_entry "$kernel"
kdir=$(kernel_dir "$kernel")
# Both are no-ops when the kernel is unpacked and its initramfs current.
VM_QUIET=1 "$vm_dir/kernels.sh" "$kernel"
VM_QUIET=1 "$vm_dir/initramfs.sh" "$kernel"
release=$(sed -n 's/^RELEASE=//p' "$kdir/kernel.env")
command -v qemu-system-x86_64 >/dev/null ||
	die "qemu-system-x86_64 not found: install qemu-system-x86 (make -f vm/vm.mk vm-deps)"

# The run directory is on the host's root, which the guest sees: the
# command script travels that way, the output through FIFOs fed by qemu.
tmp=$(mktemp -d /tmp/retis-vm.XXXXXX)
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

{
	echo "export PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	echo "export HOME=/root LANG=C.UTF-8 TERM=dumb"
	printf 'export RETIS_VM_KERNEL=%q RETIS_VM_RELEASE=%q RETIS_VM_LACKS=%q\n' "$kernel" "$release" "$lk_lacks"
	for v in ${VM_PASS_ENV:-}; do
		case $v in [A-Za-z_]*) ;; *) die "VM_PASS_ENV: '$v' is not a variable name" ;; esac
		if [ -n "${!v+set}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
	done
	if [ -d "$vm_cache/ovs/root" ]; then
		printf 'export RETIS_VM_OVS=%q\n' "$vm_cache/ovs/root"
	fi
	printf 'cd %q || exit 126\n' "$PWD"
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$tmp/cmd.sh"

mkfifo "$tmp/out" "$tmp/err"
cat "$tmp/out" &
pids+=($!)
cat "$tmp/err" >&2 &
pids+=($!)
touch "$tmp/console.log"
if [ "${VM_VERBOSE:-}" = 1 ]; then
	tail -n +1 -f "$tmp/console.log" >&2 &
	pids+=($!)
fi

cmdline="console=ttyS0 quiet panic=-1 mitigations=off"
cmdline+=" retis_run=$tmp/cmd.sh retis_modules=$kdir/root/lib/modules ${VM_APPEND:-}"

set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
	-nodefaults -no-user-config -display none -no-reboot \
	-machine pc,accel=tcg -cpu max \
	-smp "${VM_CPUS:-2}" -m "${VM_MEM:-2G}" \
	-kernel "$kdir/vmlinux" -initrd "$kdir/initramfs.cpio" -append "$cmdline" \
	-chardev file,id=console,path="$tmp/console.log" -serial chardev:console \
	-chardev file,id=out,path="$tmp/out" -serial chardev:out \
	-chardev file,id=err,path="$tmp/err" -serial chardev:err \
	-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x01 \
	</dev/null >"$tmp/qemu.log" 2>&1
qrc=$?
set -e

# Let the readers drain what qemu wrote before it exited. A qemu that
# failed before opening the FIFOs left them blocked in open: a read-write
# open (which never blocks on Linux) and close gives them their EOF.
for f in "$tmp/out" "$tmp/err"; do
	exec 3<>"$f"
	exec 3>&-
done
wait "${pids[0]}" "${pids[1]}" 2>/dev/null || true

show_console() {
	if [ "${VM_VERBOSE:-}" != 1 ]; then
		echo "--- kernel $kernel ($release) console:" >&2
		tail -n 50 "$tmp/console.log" >&2
	fi
	if [ -s "$tmp/qemu.log" ]; then
		echo "--- qemu:" >&2
		cat "$tmp/qemu.log" >&2
	fi
}

case $qrc in
124 | 137)
	show_console
	log "$kernel: timed out after ${timeout_s}s"
	exit 124
	;;
0)
	show_console
	log "$kernel: the guest stopped without reporting an exit status"
	exit 125
	;;
esac
if [ $((qrc & 1)) -eq 0 ] || [ "$qrc" -eq 1 ]; then
	show_console
	log "$kernel: qemu failed (exit status $qrc)"
	exit 125
fi
# The guest reported STATUS+1 so that qemu's own failure (1) stands apart.
exit $(((qrc >> 1) - 1))
