package bpf

import (
	"errors"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/retis-go/retis/engine/probe"
	"github.com/retis-go/retis/internal/testutils"
)

// Every front-end must pass the verifier of the running kernel with all
// collectors on, or the kernel must lack its program type.
func TestProgramsLoad(t *testing.T) {
	testutils.RequireBPF(t)
	// skb:kfree_skb's arguments as this kernel has them (skb, location,
	// reason, and rx_sk since 6.12); consume_skb(skb) has one.
	spec, err := probe.Parse("tp:skb:kfree_skb")
	if err != nil {
		t.Fatal(err)
	}
	targets, err := probe.Resolve(probe.HostKernel(), spec)
	if err != nil {
		t.Fatal(err)
	}
	a := targets[0].Args
	kfree := [3]int32{int32(a.Count), int32(a.Skb), int32(a.DropReason)}
	consume := [3]int32{1, 0, -1}
	for _, tc := range []struct {
		prog, attach string
		args         [3]int32 // count, skb, drop reason
	}{
		{"probe_tp_btf", "kfree_skb", kfree},
		{"probe_raw_tp", "", kfree},
		{"probe_fentry", "consume_skb", consume},
		{"probe_fexit", "consume_skb", consume},
		{"probe_kprobe", "", kfree},
		{"probe_kprobe_multi", "", kfree},
		{"probe_kretprobe_entry", "", kfree},
		{"probe_kretprobe", "", kfree},
		{"probe_bench", "", kfree},
	} {
		t.Run(tc.prog, func(t *testing.T) {
			if tc.prog == "probe_fentry" || tc.prog == "probe_fexit" {
				// A kernel may have the program type yet refuse it
				// (lockdown, EPERM): the probe tells which.
				if err := probe.HaveFentry(); errors.Is(err, ebpf.ErrNotSupported) {
					t.Skipf("kernel cannot load %s: %v", tc.prog, err)
				}
			}
			spec, err := LoadProbe()
			if err != nil {
				t.Fatal(err)
			}
			for name := range spec.Programs {
				if name != tc.prog {
					delete(spec.Programs, name)
				}
			}
			if tc.attach != "" {
				spec.Programs[tc.prog].AttachTo = tc.attach
			}
			set := func(n string, v any) {
				t.Helper()
				if err := spec.Variables[n].Set(v); err != nil {
					t.Fatal(n, err)
				}
			}
			set("nargs", uint32(tc.args[0]))
			set("arg_skb", tc.args[1])
			set("arg_drop_reason", tc.args[2])
			set("collectors", uint32(0x7f))
			set("skb_sections", uint32(0x3e))
			switch tc.prog {
			case "probe_bench":
				set("no_task", uint8(1))
			case "probe_kprobe", "probe_kretprobe", "probe_kretprobe_entry", "probe_kprobe_multi":
				set("use_cookie", uint8(1))
			}
			coll, err := ebpf.NewCollection(spec)
			if errors.Is(err, ebpf.ErrNotSupported) {
				t.Skipf("kernel cannot load %s: %v", tc.prog, err)
			}
			if err != nil {
				var ve *ebpf.VerifierError
				if errors.As(err, &ve) {
					t.Fatalf("%+v", ve)
				}
				t.Fatal(err)
			}
			coll.Close()
		})
	}
}

// engine/filter replaces these subprograms by name: every probe program
// must keep them as real, called functions.
func TestFilterPlaceholders(t *testing.T) {
	spec, err := LoadProbe()
	if err != nil {
		t.Fatal(err)
	}
	for name, prog := range spec.Programs {
		if name == "probe_kretprobe_entry" {
			// Only saves arguments for probe_kretprobe, which filters.
			continue
		}
		found := map[string]bool{}
		called := map[string]bool{}
		for _, ins := range prog.Instructions {
			if sym := ins.Symbol(); sym != "" {
				found[sym] = true
			}
			if ins.IsFunctionCall() {
				called[ins.Reference()] = true
			}
		}
		for _, f := range []string{"retis_filter_l2", "retis_filter_l3", "retis_filter_meta"} {
			if !found[f] || !called[f] {
				t.Errorf("%s: %s defined %v, called %v", name, f, found[f], called[f])
			}
		}
	}
}
