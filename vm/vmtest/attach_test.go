package vmtest

import (
	"errors"
	"runtime"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/link"

	"github.com/retis-go/retis/internal/testutils"
)

// The probed function: every UDP datagram sent from a socket goes through
// it, and it returns the number of bytes sent.
const (
	sendFn    = "udp_sendmsg"
	sendLen   = "len"
	sends     = 5
	sendBytes = 100
	// Called once per datagram on the path of sendFn.
	sendFn2 = "ip_send_skb"
)

// argRegs are the pt_regs members holding the first arguments of a call
// (x86-64 System V calling convention); the return value is in "ax".
var argRegs = []string{"di", "si", "dx", "cx", "r8", "r9"}

func skipUnlessAMD64(t *testing.T) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skipf("argument registers are mapped for amd64 only, not %s", runtime.GOARCH)
	}
}

// wantCounter fails t unless c counted each datagram once and summed
// sendBytes per datagram (or nothing, for sum == false).
func wantCounter(t *testing.T, what string, c counter, sum bool) {
	t.Helper()
	want := counter{Hits: sends}
	if sum {
		want.Sum = sends * sendBytes
	}
	if c != want {
		t.Errorf("%s: counted %d hits summing %d, want %d hits summing %d", what, c.Hits, c.Sum, want.Hits, want.Sum)
	}
}

func TestKprobe(t *testing.T) {
	testutils.RequireBPF(t)
	SkipIfNotSupported(t, "kprobe", haveKprobe())
	skipUnlessAMD64(t)
	arg := paramIndex(t, sendFn, sendLen)
	prog, counters := counterProg{
		typ:   ebpf.Kprobe,
		value: loadCtx64(regsOffset(t, argRegs[arg])),
	}.load(t, 1)
	l, err := link.Kprobe(sendFn, prog, nil)
	if err != nil {
		t.Fatalf("attach kprobe:%s: %v", sendFn, err)
	}
	defer l.Close()

	sendUDP(t, sends, sendBytes)
	wantCounter(t, "kprobe:"+sendFn+" argument "+sendLen, read(t, counters, 0), true)
}

func TestKretprobe(t *testing.T) {
	testutils.RequireBPF(t)
	SkipIfNotSupported(t, "kretprobe", haveKprobe())
	skipUnlessAMD64(t)
	prog, counters := counterProg{
		typ:   ebpf.Kprobe,
		value: loadCtx32(regsOffset(t, "ax")),
	}.load(t, 1)
	l, err := link.Kretprobe(sendFn, prog, nil)
	if err != nil {
		t.Fatalf("attach kretprobe:%s: %v", sendFn, err)
	}
	defer l.Close()

	sendUDP(t, sends, sendBytes)
	wantCounter(t, "kretprobe:"+sendFn+" return value", read(t, counters, 0), true)
}

func TestKprobeMulti(t *testing.T) {
	testutils.RequireBPF(t)
	SkipIfNotSupported(t, "kprobe-multi", features.HaveBPFLinkKprobeMulti())
	skipUnlessAMD64(t)
	symbols := []string{sendFn, sendFn2}
	cookies := []uint64{0, 1}

	t.Run("entry", func(t *testing.T) {
		prog, counters := counterProg{
			typ:      ebpf.Kprobe,
			attach:   ebpf.AttachTraceKprobeMulti,
			value:    loadCtx64(regsOffset(t, argRegs[paramIndex(t, sendFn, sendLen)])),
			byCookie: true,
		}.load(t, len(symbols))
		l, err := link.KprobeMulti(prog, link.KprobeMultiOptions{Symbols: symbols, Cookies: cookies})
		if err != nil {
			t.Fatalf("attach kprobe-multi to %q: %v", symbols, err)
		}
		defer l.Close()

		sendUDP(t, sends, sendBytes)
		wantCounter(t, "kprobe-multi "+sendFn+" argument "+sendLen, read(t, counters, 0), true)
		// The same register holds something else in sendFn2: count only.
		if c := read(t, counters, 1); c.Hits != sends {
			t.Errorf("kprobe-multi %s: counted %d hits, want %d", sendFn2, c.Hits, sends)
		}
	})

	t.Run("return", func(t *testing.T) {
		prog, counters := counterProg{
			typ:      ebpf.Kprobe,
			attach:   ebpf.AttachTraceKprobeMulti,
			value:    loadCtx32(regsOffset(t, "ax")),
			byCookie: true,
		}.load(t, len(symbols))
		l, err := link.KretprobeMulti(prog, link.KprobeMultiOptions{Symbols: symbols, Cookies: cookies})
		if err != nil {
			t.Fatalf("attach kretprobe-multi to %q: %v", symbols, err)
		}
		defer l.Close()

		sendUDP(t, sends, sendBytes)
		wantCounter(t, "kretprobe-multi "+sendFn+" return value", read(t, counters, 0), true)
		if c := read(t, counters, 1); c.Hits != sends {
			t.Errorf("kretprobe-multi %s: counted %d hits, want %d", sendFn2, c.Hits, sends)
		}
	})
}

func TestFentry(t *testing.T) {
	testutils.RequireBPF(t)
	SkipIfNotSupported(t, "fentry", haveFentry())
	// Tracing programs see the arguments as an array of 64-bit words.
	prog, counters := counterProg{
		typ:      ebpf.Tracing,
		attach:   ebpf.AttachTraceFEntry,
		attachTo: sendFn,
		value:    loadCtx64(8 * paramIndex(t, sendFn, sendLen)),
	}.load(t, 1)
	l, err := link.AttachTracing(link.TracingOptions{Program: prog})
	if err != nil {
		t.Fatalf("attach fentry:%s: %v", sendFn, err)
	}
	defer l.Close()

	sendUDP(t, sends, sendBytes)
	wantCounter(t, "fentry:"+sendFn+" argument "+sendLen, read(t, counters, 0), true)
}

func TestFexit(t *testing.T) {
	testutils.RequireBPF(t)
	SkipIfNotSupported(t, "fexit", haveFentry())
	// fexit programs find the return value after the arguments.
	prog, counters := counterProg{
		typ:      ebpf.Tracing,
		attach:   ebpf.AttachTraceFExit,
		attachTo: sendFn,
		value:    loadCtx32(8 * len(params(t, sendFn))),
	}.load(t, 1)
	l, err := link.AttachTracing(link.TracingOptions{Program: prog})
	if err != nil {
		t.Fatalf("attach fexit:%s: %v", sendFn, err)
	}
	defer l.Close()

	sendUDP(t, sends, sendBytes)
	wantCounter(t, "fexit:"+sendFn+" return value", read(t, counters, 0), true)
}

// TestLockedLacks keeps vm/kernels.lock honest: each feature it says a VM
// kernel lacks must be reported unsupported by that feature's probe, so a
// kernel that gains it is noticed and tested.
func TestLockedLacks(t *testing.T) {
	k, ok := Current()
	if !ok {
		t.Skip("not running in the VM tier (vm/run.sh sets RETIS_VM_KERNEL)")
	}
	for _, f := range k.Lacks {
		probe, known := featureProbes[f]
		if !known {
			t.Errorf("vm/kernels.lock: kernel %s lacks unknown feature %q", k.Name, f)
			continue
		}
		err := probe()
		if !errors.Is(err, ebpf.ErrNotSupported) {
			t.Errorf("vm/kernels.lock says kernel %s lacks %s, but its probe returned %v", k.Name, f, err)
			continue
		}
		t.Logf("%s not supported, as the lock says: %v", f, err)
	}
}
