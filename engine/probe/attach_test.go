package probe

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
)

// fakePrograms records what was asked and fails every load.
type fakePrograms struct{ asked []string }

func (f *fakePrograms) Program(role Program, t *Target) (*ebpf.Program, error) {
	name := "shared"
	if t != nil {
		name = t.String()
	}
	f.asked = append(f.asked, fmt.Sprintf("%d:%s", role, name))
	return nil, fmt.Errorf("verifier says no")
}

// On a kernel without kprobes, kprobe-multi and fentry, a kprobe ends in
// one error naming what is missing, and no program is even loaded.
func TestAttachNoKprobeBackend(t *testing.T) {
	progs := &fakePrograms{}
	a := &Attacher{Programs: progs, Supported: func(b Backend) error {
		switch b {
		case KprobeMulti:
			return fmt.Errorf("%w: CONFIG_FPROBE is not set in this kernel", ebpf.ErrNotSupported)
		case KprobeSingle, KretprobeSingle:
			return fmt.Errorf("%w: CONFIG_KPROBES is not set in this kernel", ebpf.ErrNotSupported)
		case Fentry, Fexit:
			return fmt.Errorf("%w: loading a fentry program on consume_skb was refused: operation not permitted", ebpf.ErrNotSupported)
		}
		return nil
	}}
	tg := &Target{Kind: Kprobe, Name: "ip_rcv", Symbol: "ip_rcv", Args: Args{Skb: 0, DropReason: -1, Dev: 1, Net: -1}}
	res := a.Attach([]*Target{tg})
	if len(res) != 1 || res[0].Err == nil {
		t.Fatalf("results %+v", res)
	}
	want := "attach kprobe:ip_rcv: kprobe-multi: CONFIG_FPROBE is not set in this kernel; " +
		"kprobe: CONFIG_KPROBES is not set in this kernel; " +
		"fentry: loading a fentry program on consume_skb was refused: operation not permitted"
	if got := res[0].Err.Error(); got != want {
		t.Errorf("error\n got %s\nwant %s", got, want)
	}
	if strings.Count(res[0].Err.Error(), "\n") != 0 {
		t.Error("multi-line error")
	}
	if len(progs.asked) != 0 {
		t.Errorf("programs loaded for unsupported backends: %v", progs.asked)
	}
}

// Backends are tried in order and each failure is reported.
func TestAttachFallbackOrder(t *testing.T) {
	progs := &fakePrograms{}
	a := &Attacher{Programs: progs, Supported: func(Backend) error { return nil }}
	tp := &Target{Kind: Tracepoint, Name: "net:netif_rx", Func: "netif_rx", Args: Args{Skb: 0, DropReason: -1, Dev: -1, Net: -1}}
	res := a.Attach([]*Target{tp})
	if res[0].Err == nil {
		t.Fatal("attached with failing programs")
	}
	want := []string{fmt.Sprintf("%d:tp:net:netif_rx", ProgTpBTF), fmt.Sprintf("%d:tp:net:netif_rx", ProgRawTP)}
	if strings.Join(progs.asked, " ") != strings.Join(want, " ") {
		t.Errorf("asked %v, want %v", progs.asked, want)
	}
	if !strings.Contains(res[0].Err.Error(), "tp_btf: verifier says no; raw_tp: verifier says no") {
		t.Errorf("error %v", res[0].Err)
	}
}

// A forced backend is the only one tried.
func TestAttachForced(t *testing.T) {
	progs := &fakePrograms{}
	a := &Attacher{Programs: progs, Force: []Backend{Fentry}, Supported: func(Backend) error { return nil }}
	k := &Target{Kind: Kprobe, Name: "ip_rcv", Func: "ip_rcv", Symbol: "ip_rcv", Args: Args{Skb: 0, DropReason: -1, Dev: -1, Net: -1}}
	tp := &Target{Kind: Tracepoint, Name: "net:netif_rx", Func: "netif_rx", Args: Args{Skb: 0, DropReason: -1, Dev: -1, Net: -1}}
	res := a.Attach([]*Target{k, tp})
	for _, r := range res {
		if r.Err == nil {
			t.Fatalf("%s attached", r.Target)
		}
	}
	if !strings.HasSuffix(res[0].Err.Error(), ": fentry: verifier says no") {
		t.Errorf("kprobe error %v", res[0].Err)
	}
	// Tracepoints keep their default order.
	if !strings.Contains(res[1].Err.Error(), "tp_btf:") {
		t.Errorf("tracepoint error %v", res[1].Err)
	}
}

// Arguments past the sixth are on the stack, out of a kprobe's reach.
func TestAttachStackArgument(t *testing.T) {
	progs := &fakePrograms{}
	a := &Attacher{Programs: progs, Force: []Backend{KprobeSingle}, Supported: func(Backend) error { return nil }}
	tg := &Target{Kind: Kprobe, Name: "late_skb", Symbol: "late_skb", Args: Args{Skb: 6, DropReason: -1, Dev: -1, Net: -1}}
	res := a.Attach([]*Target{tg})
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "argument 6 is passed on the stack") {
		t.Errorf("error %v", res[0].Err)
	}
	if len(progs.asked) != 0 {
		t.Errorf("programs asked: %v", progs.asked)
	}
}

func TestParseBackend(t *testing.T) {
	for b := TpBTF; b <= Fexit; b++ {
		got, err := ParseBackend(b.String())
		if err != nil || got != b {
			t.Errorf("ParseBackend(%s) = %v, %v", b, got, err)
		}
	}
	if _, err := ParseBackend("uprobe"); err == nil || !strings.Contains(err.Error(), "tp_btf, raw_tp") {
		t.Errorf("bad backend error: %v", err)
	}
}
