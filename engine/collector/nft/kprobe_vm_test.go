package nft

import (
	"github.com/retis-go/retis/internal/testutils"
	"github.com/retis-go/retis/vm/vmtest"

	"errors"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/probe"
)

// allCollectors switches every collector on, nft included.
const allCollectors = uint32(bpf.ProbeCollectorBitCOLLECTOR_SKB_TRACKING | bpf.ProbeCollectorBitCOLLECTOR_SKB |
	bpf.ProbeCollectorBitCOLLECTOR_SKB_DROP | bpf.ProbeCollectorBitCOLLECTOR_DEV | bpf.ProbeCollectorBitCOLLECTOR_NS |
	bpf.ProbeCollectorBitCOLLECTOR_CT | bpf.ProbeCollectorBitCOLLECTOR_NFT)

// allVerdicts selects every verdict, so that no verdict check is pruned.
var allVerdicts, _ = ParseVerdicts("all")

// kprobeSource initializes the kprobe source on the running kernel, or
// skips where it cannot run (the VM tier's kernels all can).
func kprobeSource(t *testing.T, verdicts VerdictSet) (*KprobeCollector, *probe.Target) {
	t.Helper()
	requireNftTrace(t) // and loads nf_tables where it is a module
	testutils.RequireBPF(t)
	c := NewKprobe(verdicts)
	vmtest.SkipIfNotSupported(t, "kprobe", c.Init(probe.HostKernel()))
	spec, err := probe.Parse(KprobeProbe)
	if err != nil {
		t.Fatal(err)
	}
	targets, err := probe.Resolve(probe.HostKernel(), spec)
	if err != nil {
		t.Fatal(err)
	}
	return c, targets[0]
}

// loadProgram loads one program of the probe object with vars set, every
// collector on and the nft collector's constants.
func loadProgram(t *testing.T, c *KprobeCollector, prog, attachTo string, vars map[string]any) *ebpf.Collection {
	t.Helper()
	spec, err := bpf.LoadProbe()
	if err != nil {
		t.Fatal(err)
	}
	for name := range spec.Programs {
		if name != prog {
			delete(spec.Programs, name)
		}
	}
	spec.Programs[prog].AttachTo = attachTo
	consts := map[string]any{"collectors": allCollectors, "skb_sections": uint32(0x3e)}
	for _, set := range []map[string]any{consts, c.Constants(), vars} {
		for n, v := range set {
			if err := spec.Variables[n].Set(v); err != nil {
				t.Fatalf("set %s: %v", n, err)
			}
		}
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			t.Fatalf("load %s: %+v", prog, ve)
		}
		t.Fatalf("load %s: %v", prog, err)
	}
	t.Cleanup(func() { coll.Close() })
	return coll
}

// The programs a collection runs the trace function's probe with pass this
// kernel's verifier with the nft collector's code live: the shared kprobe
// programs, and fentry loaded for the function itself. The other
// programs carry the nft code too (behind the probe's owners).
func TestKprobePrograms(t *testing.T) {
	c, tg := kprobeSource(t, allVerdicts)
	t.Logf("%s in %q: args %+v, trace args %+v", tg.Symbol, tg.Module, tg.Args, c.args)
	for _, tc := range []struct {
		prog, feature string
		have          func() error
	}{
		{"probe_kprobe", "kprobe", probe.HaveKprobe},
		{"probe_kprobe_multi", "kprobe-multi", probe.HaveKprobeMulti},
		{"probe_fentry", "fentry", probe.HaveFentry},
		{"probe_tp_btf", "tp_btf", probe.HaveTracingProgs},
	} {
		t.Run(tc.prog, func(t *testing.T) {
			vmtest.SkipIfNotSupported(t, tc.feature, tc.have())
			vars := map[string]any{"use_cookie": uint8(1)}
			attachTo := ""
			switch tc.prog {
			case "probe_fentry":
				attachTo = tg.Func
				vars = map[string]any{
					"nargs":        uint32(tg.Args.Count),
					"arg_skb":      int32(tg.Args.Skb),
					"arg_nft_pkt":  int32(tg.Args.NftPktinfo),
					"arg_nft_info": int32(tg.Args.NftTraceinfo),
				}
			case "probe_tp_btf":
				attachTo = "kfree_skb"
				vars = map[string]any{"nargs": uint32(3), "arg_skb": int32(0), "arg_drop_reason": int32(2)}
			}
			coll := loadProgram(t, c, tc.prog, attachTo, vars)
			if info, err := coll.Programs[tc.prog].Info(); err == nil {
				if n, ok := info.VerifiedInstructions(); ok {
					t.Logf("%s: %d instructions verified", tc.prog, n)
				}
			}
		})
	}
}
