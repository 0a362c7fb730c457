# The VM tier: tests that need kernel features the host lacks (kprobes,
# kprobe-multi, fentry/fexit, the openvswitch module) run in qemu (TCG)
# booting the Debian kernels pinned in vm/kernels.lock.
#
# Included from the top Makefile, or run alone: make -f vm/vm.mk test-vm
#
#   vm-deps       install the host packages (qemu-system-x86, busybox-static, ...)
#   vm-kernels    fetch and unpack the pinned kernels into $(VM_CACHE)
#   vm-initramfs  build each kernel's initramfs
#   vm-ovs        unpack Open vSwitch (vm/packages.lock) for the tests inside
#   test-vm       build the VM tests on the host, run them on every kernel
#   vm-clean      remove the cache and the test binaries
#
# VM_KERNELS picks kernels (names from vm/kernels.lock), VM_CACHE the cache
# (default /var/cache/retis-vm, kept across clones); vm/test.sh lists the
# other knobs (VM_TEST_PKGS, VM_TEST_FLAGS, VM_TIMEOUT, VM_VERBOSE).

VM_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
VM_KERNELS ?=
VM_CACHE ?= /var/cache/retis-vm
export VM_CACHE

.PHONY: vm-deps vm-kernels vm-initramfs vm-ovs test-vm vm-clean

vm-deps:
	@$(VM_DIR)/deps.sh

vm-kernels: vm-deps
	@$(VM_DIR)/kernels.sh $(VM_KERNELS)

vm-initramfs: vm-kernels
	@$(VM_DIR)/initramfs.sh $(VM_KERNELS)

vm-ovs: vm-deps
	@$(VM_DIR)/ovs.sh

# End-to-end tests run the retis binary built on the host (RETIS_TEST_BIN).
test-vm: vm-initramfs vm-ovs
	@RETIS_TEST_BIN=$(abspath $(VM_DIR)/../bin/retis) VM_PASS_ENV="$(strip $(VM_PASS_ENV) RETIS_TEST_BIN)" $(VM_DIR)/test.sh $(VM_KERNELS)

vm-clean:
	rm -rf $(VM_CACHE) $(VM_DIR)/../bin/vmtest
