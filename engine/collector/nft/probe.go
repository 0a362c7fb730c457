package nft

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/retis-go/retis/engine/probe"
)

// Source is where nft verdicts come from.
type Source string

// Sources, best first.
const (
	// SourceKprobe probes the kernel's trace function: events carry the skb
	// and join its tracking directly (what Retis does).
	SourceKprobe Source = "kprobe"
	// SourceNetlink reads the nf_tables trace notifications; events are
	// joined to skb events by a Joiner.
	SourceNetlink Source = "netlink"
)

// HaveNftTrace checks that the kernel sends nf_tables trace events over
// netlink: nfnetlink and nf_tables are there and the trace group can be
// joined. It returns nil, an error wrapping ebpf.ErrNotSupported, or another
// error when it cannot tell (e.g. without CAP_NET_ADMIN).
func HaveNftTrace() error { return haveNftTrace() }

var haveNftTrace = sync.OnceValue(func() error {
	conn, err := netlink.Dial(unix.NETLINK_NETFILTER, nil)
	if errors.Is(err, unix.EPROTONOSUPPORT) {
		return fmt.Errorf("%w: no nfnetlink in this kernel (CONFIG_NETFILTER_NETLINK)", ebpf.ErrNotSupported)
	}
	if err != nil {
		return fmt.Errorf("probe nft trace: %w", err)
	}
	defer conn.Close()
	if err := conn.JoinGroup(unix.NFNLGRP_NFTRACE); err != nil {
		return fmt.Errorf("probe nft trace: join trace group: %w", err)
	}
	// Any nf_tables request tells whether the subsystem is there; the
	// ruleset generation is the cheapest.
	_, err = conn.Execute(netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_GETGEN),
			Flags: netlink.Request | netlink.Acknowledge,
		},
		Data: []byte{unix.NFPROTO_UNSPEC, unix.NFNETLINK_V0, 0, 0},
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.EOPNOTSUPP):
		return fmt.Errorf("%w: no nf_tables in this kernel (CONFIG_NF_TABLES, or module nf_tables not loadable)", ebpf.ErrNotSupported)
	}
	return fmt.Errorf("probe nft trace: %w", err)
})

// traceFunc is the kernel function the kprobe source probes.
const traceFunc = "__nft_trace_packet"

// haveKprobeSource tells whether the kprobe source can run here: a way to
// probe functions, and the trace function in the kernel's BTF with a known
// shape.
var haveKprobeSource = sync.OnceValue(func() error {
	// Where nf_tables is a module, its function exists once it is loaded:
	// asking nfnetlink for nf_tables loads it.
	_ = HaveNftTrace()
	if err := haveFunctionProbes(); err != nil {
		return err
	}
	_, err := findTraceArgs(probe.HostKernel())
	return err
})

// SourceStatus tells whether a source can be used, and why not.
type SourceStatus struct {
	Source Source
	Err    error // nil when usable
}

// Inspection is what the nft collector would use on this machine.
type Inspection struct {
	// InUse is the best usable source, "" when none is.
	InUse Source
	// Sources lists every source, best first.
	Sources []SourceStatus
}

// String reads "nft: source netlink (kprobe: <why not>)".
func (i Inspection) String() string {
	var b strings.Builder
	if i.InUse == "" {
		b.WriteString("nft: no usable source")
	} else {
		fmt.Fprintf(&b, "nft: source %s", i.InUse)
	}
	var skipped []string
	for _, s := range i.Sources {
		if s.Err != nil {
			skipped = append(skipped, fmt.Sprintf("%s: %v", s.Source, s.Err))
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(skipped, "; "))
	}
	return b.String()
}

// Inspect probes the sources, best first, and tells which one a
// collection would use.
func Inspect() Inspection {
	i := Inspection{Sources: []SourceStatus{
		{SourceKprobe, haveKprobeSource()},
		{SourceNetlink, HaveNftTrace()},
	}}
	for _, s := range i.Sources {
		if s.Err == nil {
			i.InUse = s.Source
			break
		}
	}
	return i
}
