package collect

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/retis-go/retis/internal/testutils"
)

func TestInspectionText(t *testing.T) {
	in := &Inspection{
		Kernel: "6.18.0",
		Backends: []Status{
			{Name: "tp_btf"},
			{Name: "kprobe", Err: fmt.Errorf("%w: CONFIG_KPROBES is not set in this kernel", ebpf.ErrNotSupported)},
		},
		Collectors: []Status{{Name: "skb"}, {Name: "ct", Err: fmt.Errorf("this kernel has no conntrack")},
			{Name: "nft", Note: "source netlink; needs --allow-system-changes"}},
		Tracepoints: []string{"tp:net:netif_receive_skb", "tp:skb:kfree_skb"},
		Functions:   []string{"kprobe:ip_rcv"},
	}
	var b strings.Builder
	if err := in.WriteText(&b, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Kernel: 6.18.0\n",
		"  nft           yes (source netlink; needs --allow-system-changes)\n",
		"BTF: yes\n",
		"  tp_btf        yes\n",
		"  kprobe        no: CONFIG_KPROBES is not set in this kernel\n",
		"  ct            no: this kernel has no conntrack\n",
		"2 tracepoints, 1 functions\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "kprobe:ip_rcv") {
		t.Error("targets listed without asking")
	}
	b.Reset()
	in.WriteText(&b, true)
	if !strings.Contains(b.String(), "  kprobe:ip_rcv\n") {
		t.Errorf("targets not listed:\n%s", b.String())
	}
}

// On this kernel tracepoints work and the default probes are listed.
func TestInspectHost(t *testing.T) {
	requireRootOnly(t)
	testutils.RequireBPF(t)
	in, err := Inspect()
	if err != nil {
		t.Fatal(err)
	}
	if in.BTF != nil {
		t.Skipf("kernel without BTF: %v", in.BTF)
	}
	if len(in.Backends) != 7 {
		t.Errorf("backends %v", in.Backends)
	}
	works := false
	for _, b := range in.Backends {
		if (b.Name == "tp_btf" || b.Name == "raw_tp") && b.Err == nil {
			works = true
		}
	}
	if !works {
		t.Errorf("no tracepoint backend: %v", in.Backends)
	}
	for _, tp := range []string{"tp:net:netif_receive_skb", "tp:net:net_dev_start_xmit", "tp:skb:kfree_skb"} {
		if !slices.Contains(in.Tracepoints, tp) {
			t.Errorf("%s not listed", tp)
		}
	}
	if len(in.Functions) < 100 {
		t.Errorf("only %d functions take an skb", len(in.Functions))
	}
	for _, c := range in.Collectors {
		if c.Name == "skb" && c.Err != nil {
			t.Errorf("skb collector unusable: %v", c.Err)
		}
	}
}
