// Package vmtest lets kernel-feature tests tell "this kernel lacks the
// feature" from "the feature broke", and holds the VM tier's self-test.
//
// vm/run.sh runs test binaries inside a qemu VM booting the kernels pinned
// in vm/kernels.lock, and tells them which kernel they are on and which
// features that kernel is known to lack. [SkipIfNotSupported] uses this:
// outside the VM a missing feature skips the test, inside it skips only when
// the lock lists the feature as missing, and fails otherwise, so a kernel
// that should have kprobes cannot pass by skipping.
//
// The package's tests prove the tier itself: they attach kprobe, kretprobe,
// kprobe-multi and fentry/fexit programs to the UDP send path and check the
// hits and argument values they count for loopback traffic the test sends.
//
// It must not know about retis's engine or event model: engine packages use
// it, not the other way round.
package vmtest
