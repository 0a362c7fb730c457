# retis (Go). `sudo make demo` runs the built-in demo, `sudo make test` the
# tests; both work on a fresh machine after `.ci/setup` (which .ci/run calls).

GO      ?= go
CLANG   ?= clang-19
BIN     := bin/retis
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BENCH_EVENTS ?= 1000000

.PHONY: all build test bench bench-deps generate demo clean

# The VM tier (make test-vm): kernels other than the host's, in qemu.
include vm/vm.mk
test-vm: build

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/retis

# Unit, golden and end-to-end tests. The kernel tests need root; they skip
# with the reason when the kernel lacks a feature.
test: build
	gofmt -l $$(git ls-files '*.go') | (! grep .) || (echo 'gofmt needed on the files above'; exit 1)
	$(GO) vet ./...
	$(GO) test -count=1 ./...

# Regenerates the BPF objects with the pinned clang; the result is committed.
generate:
	CLANG=$(CLANG) $(GO) generate ./bpf/...

bench: build
	BENCH_EVENTS=$(BENCH_EVENTS) bash bench/run.sh

# Peers of the flood ratios and the BPF cost figures (bench/flood.sh);
# bench-only, not in .ci/setup. Debian/Ubuntu.
bench-deps:
	apt-get install -y --no-install-recommends bpftrace iperf3 bpftool tcpdump jq

demo: build
	bash demo/demo.sh

clean:
	rm -rf bin .bench
