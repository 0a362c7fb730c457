package nft

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/cilium/ebpf"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

// Name is the collector's name.
const Name = "nft"

// KprobeProbe is the probe the kprobe source installs.
const KprobeProbe = "kprobe:" + traceFunc

// KprobeCollector is the kprobe source of the nft collector: a probe on the
// kernel's trace function (bpf/nft.h) that writes the nft section in the
// event of the packet's skb, so verdicts join the skb tracking directly.
//
// The kernel calls the function only while some ruleset sets meta nftrace
// (table inet Retis_Table, installed by Collector with TablesOnly), but
// then for every packet in every namespace: the probe does not need the
// packets marked. It leaves out the verdicts of Retis_Table's own chains.
type KprobeCollector struct {
	verdicts VerdictSet
	args     traceArgs
	names    names
}

// traceArgs are the positions of the trace function's arguments, -1 when
// this kernel's function does not take one (it is in the trace state).
type traceArgs struct {
	info, chain, rule, verdict, typ int
}

// NewKprobe returns the kprobe source reporting the verdicts in set (0
// means DefaultVerdicts).
func NewKprobe(verdicts VerdictSet) *KprobeCollector {
	if verdicts == 0 {
		verdicts = DefaultVerdicts
	}
	return &KprobeCollector{verdicts: verdicts, args: traceArgs{-1, -1, -1, -1, -1}}
}

// Name implements collector.Collector.
func (*KprobeCollector) Name() string { return Name }

// Flag implements collector.Collector.
func (*KprobeCollector) Flag() uint32 { return uint32(bpf.ProbeCollectorBitCOLLECTOR_NFT) }

// Owner implements collector.Collector: Retis's nft factory id.
func (*KprobeCollector) Owner() uint8 { return uint8(bpf.ProbeSectionOwnerOWNER_NFT) }

// Probes implements collector.Collector.
func (*KprobeCollector) Probes() []string { return []string{KprobeProbe} }

// maxRegArgs is how many arguments a kprobe reads (registers, x86-64).
const maxRegArgs = 6

// Init implements collector.Collector: the kernel must have the trace
// function (in its image or in the nf_tables module, loaded) with a known
// shape, and a way to probe functions.
func (c *KprobeCollector) Init(k probe.Kernel) error {
	if err := haveFunctionProbes(); err != nil {
		return err
	}
	args, err := findTraceArgs(k)
	if err != nil {
		return err
	}
	c.args = args
	return nil
}

// haveFunctionProbes tells whether some backend can probe a function.
func haveFunctionProbes() error {
	var errs []error
	for _, have := range []func() error{probe.HaveKprobeMulti, probe.HaveKprobe, probe.HaveFentry} {
		err := have()
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	for _, err := range errs {
		if !errors.Is(err, ebpf.ErrNotSupported) {
			return fmt.Errorf("nft kprobe source: %w", errors.Join(errs...))
		}
	}
	return fmt.Errorf("%w: nft kprobe source: the kernel can probe no function (kprobe, kprobe-multi and fentry unavailable)", ebpf.ErrNotSupported)
}

// findTraceArgs locates the trace function's arguments in the kernel's BTF.
func findTraceArgs(k probe.Kernel) (traceArgs, error) {
	fn, _, _, err := probe.FindFunc(k, traceFunc)
	if err != nil {
		return traceArgs{}, fmt.Errorf("%w: %s: %v (nf_tables not built in nor loaded?)", ebpf.ErrNotSupported, traceFunc, err)
	}
	params := probe.Params(fn)
	a := traceArgs{
		info:    probe.ParamIndex(params, "struct nft_traceinfo *"),
		chain:   probe.ParamIndex(params, "struct nft_chain *"),
		rule:    probe.ParamIndex(params, "struct nft_rule_dp *"),
		verdict: probe.ParamIndex(params, "struct nft_verdict *"),
		typ:     probe.ParamIndex(params, "enum nft_trace_types"),
	}
	if a.info < 0 {
		return traceArgs{}, fmt.Errorf("%w: %s takes no struct nft_traceinfo: unknown shape", ebpf.ErrNotSupported, traceFunc)
	}
	for _, i := range []int{a.info, a.chain, a.rule, a.verdict, a.typ} {
		if i >= maxRegArgs {
			return traceArgs{}, fmt.Errorf("%w: %s's argument %d is passed on the stack, out of a kprobe's reach", ebpf.ErrNotSupported, traceFunc, i)
		}
	}
	// The packet: an argument, or in the trace state.
	spec, _ := probe.Parse(KprobeProbe)
	if _, err := probe.Resolve(k, spec); err != nil {
		return traceArgs{}, fmt.Errorf("%w: %v", ebpf.ErrNotSupported, err)
	}
	return a, nil
}

// Constants implements collector.Constants.
func (c *KprobeCollector) Constants() map[string]any {
	return map[string]any{
		"nft_verdicts":    uint32(c.verdicts),
		"nft_arg_info":    int32(c.args.info),
		"nft_arg_chain":   int32(c.args.chain),
		"nft_arg_rule":    int32(c.args.rule),
		"nft_arg_verdict": int32(c.args.verdict),
		"nft_arg_type":    int32(c.args.typ),
	}
}

// Decode implements collector.Collector: the section as Retis writes it.
func (c *KprobeCollector) Decode(_ uint8, data []byte, e *events.Event, _ *collector.Scratch) error {
	raw, err := collector.As[bpf.ProbeNftEvent](data)
	if err != nil {
		return err
	}
	v := verdictFromCode(raw.Verdict)
	n := &struct {
		events.Nft
		rule int64
		jump string
	}{}
	n.Nft = events.Nft{
		TableName:   c.names.get(cBytes(&raw.TableName)),
		ChainName:   c.names.get(cBytes(&raw.ChainName)),
		Verdict:     v.String(),
		TableHandle: raw.TableHandle,
		ChainHandle: raw.ChainHandle,
		Policy:      raw.Policy != 0,
	}
	if raw.RuleHandle != -1 {
		n.rule = raw.RuleHandle
		n.RuleHandle = &n.rule
	}
	if v == VerdictJump || v == VerdictGoto {
		if n.jump = c.names.get(cBytes(&raw.VerdictChainName)); n.jump != "" {
			n.VerdictChainName = &n.jump
		}
	}
	e.Nft = &n.Nft
	return nil
}

// cBytes returns the bytes of a NUL-terminated C string.
func cBytes(a *[nameLen]int8) []byte {
	b := unsafe.Slice((*byte)(unsafe.Pointer(a)), nameLen)
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// nameLen is NFT_NAME_LEN in bpf/nft.h.
const nameLen = len(bpf.ProbeNftEvent{}.TableName)

// names interns table and chain names: a ruleset has few, seen in every
// event. Lookups take no lock and do not allocate; it is safe for
// concurrent use.
type names struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]string]
}

// maxNames bounds the cache (a ruleset being rewritten all the time).
const maxNames = 4096

func (n *names) get(b []byte) string {
	if m := n.m.Load(); m != nil {
		if s, ok := (*m)[string(b)]; ok {
			return s
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	old := n.m.Load()
	if old != nil {
		if s, ok := (*old)[string(b)]; ok {
			return s
		}
		if len(*old) >= maxNames {
			return string(b)
		}
	}
	s := string(b)
	m := make(map[string]string, 1)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[s] = s
	n.m.Store(&m)
	return s
}
