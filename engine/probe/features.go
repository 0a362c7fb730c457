package probe

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// Feature probes: each returns nil when the kernel offers the backend, an
// error wrapping ebpf.ErrNotSupported saying what it lacks, or another
// error when the probe could not tell. Results are cached.
var (
	haveTracingProgs = sync.OnceValue(probeTracingProgs)
	haveRawTP        = sync.OnceValue(probeRawTracepoint)
	haveKprobe       = sync.OnceValue(probeKprobe)
	haveKprobeMulti  = sync.OnceValue(probeKprobeMulti)
	haveFentry       = sync.OnceValue(probeFentry)
)

// HaveTracingProgs tells whether BTF tracepoint programs (tp_btf) load and
// attach.
func HaveTracingProgs() error { return haveTracingProgs() }

// HaveRawTracepoint tells whether raw tracepoint programs attach.
func HaveRawTracepoint() error { return haveRawTP() }

// HaveKprobe tells whether kprobes and kretprobes attach.
func HaveKprobe() error { return haveKprobe() }

// HaveKprobeMulti tells whether kprobe-multi links (fprobe) attach.
func HaveKprobeMulti() error { return haveKprobeMulti() }

// HaveFentry tells whether fentry and fexit programs load and attach.
func HaveFentry() error { return haveFentry() }

// The tracepoint and function the probes attach their empty programs to.
const (
	probeTracepoint = "kfree_skb"
)

var probeFunctions = []string{"consume_skb", "kfree_skb_reason", "__kfree_skb"}

func emptyProgram(typ ebpf.ProgramType, at ebpf.AttachType, to string) (*ebpf.Program, error) {
	return ebpf.NewProgramWithOptions(&ebpf.ProgramSpec{
		Name:         "retis_feature",
		Type:         typ,
		AttachType:   at,
		AttachTo:     to,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	}, ebpf.ProgramOptions{LogDisabled: true})
}

// probeFunction returns a function the kernel has in both kallsyms and BTF.
func probeFunction() (string, error) {
	syms, err := HostSymbols()
	if err != nil {
		return "", err
	}
	for _, f := range probeFunctions {
		if syms.Has(f) {
			return f, nil
		}
	}
	return "", fmt.Errorf("none of %v is in kallsyms", probeFunctions)
}

// unsupported wraps err as ErrNotSupported when it means "the kernel does
// not do this" rather than "something went wrong".
func unsupported(what string, err error) error {
	switch {
	case errors.Is(err, ebpf.ErrNotSupported), errors.Is(err, unix.EPERM),
		errors.Is(err, unix.EINVAL), errors.Is(err, unix.Errno(524)), // ENOTSUPP
		errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: %s: %v", ebpf.ErrNotSupported, what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func probeTracingProgs() error {
	prog, err := emptyProgram(ebpf.Tracing, ebpf.AttachTraceRawTp, probeTracepoint)
	if err != nil {
		return unsupported("tp_btf program load", err)
	}
	defer prog.Close()
	l, err := link.AttachTracing(link.TracingOptions{Program: prog})
	if err != nil {
		return unsupported("tp_btf attach", err)
	}
	return l.Close()
}

func probeRawTracepoint() error {
	prog, err := emptyProgram(ebpf.RawTracepoint, ebpf.AttachNone, "")
	if err != nil {
		return unsupported("raw_tp program load", err)
	}
	defer prog.Close()
	l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: probeTracepoint, Program: prog})
	if err != nil {
		return unsupported("raw_tp attach", err)
	}
	return l.Close()
}

func probeKprobe() error {
	syms, err := HostSymbols()
	if err != nil {
		return err
	}
	if _, err := os.Stat("/sys/bus/event_source/devices/kprobe"); err != nil && !syms.Has("register_kprobe") {
		return fmt.Errorf("%w: CONFIG_KPROBES is not set in this kernel", ebpf.ErrNotSupported)
	}
	fn, err := probeFunction()
	if err != nil {
		return err
	}
	prog, err := emptyProgram(ebpf.Kprobe, ebpf.AttachNone, "")
	if err != nil {
		return unsupported("kprobe program load", err)
	}
	defer prog.Close()
	l, err := link.Kprobe(fn, prog, nil)
	if err != nil {
		return unsupported("kprobe attach", err)
	}
	return l.Close()
}

func probeKprobeMulti() error {
	syms, err := HostSymbols()
	if err != nil {
		return err
	}
	if !syms.Has("register_fprobe") {
		return fmt.Errorf("%w: CONFIG_FPROBE is not set in this kernel", ebpf.ErrNotSupported)
	}
	fn, err := probeFunction()
	if err != nil {
		return err
	}
	prog, err := emptyProgram(ebpf.Kprobe, ebpf.AttachTraceKprobeMulti, "")
	if err != nil {
		return unsupported("kprobe-multi program load", err)
	}
	defer prog.Close()
	l, err := link.KprobeMulti(prog, link.KprobeMultiOptions{Symbols: []string{fn}})
	if err != nil {
		return unsupported("kprobe-multi attach", err)
	}
	return l.Close()
}

func probeFentry() error {
	fn, err := probeFunction()
	if err != nil {
		return err
	}
	prog, err := emptyProgram(ebpf.Tracing, ebpf.AttachTraceFEntry, fn)
	if err != nil {
		return unsupported("loading a fentry program on "+fn+" was refused", err)
	}
	defer prog.Close()
	l, err := link.AttachTracing(link.TracingOptions{Program: prog})
	if err != nil {
		return unsupported("fentry attach", err)
	}
	return l.Close()
}
