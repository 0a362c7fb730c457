package nft

import (
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// firstTraceWait bounds the wait for a first trace.
const firstTraceWait = 5 * time.Second

// readTraces collects a listener's traces until quiet for a while.
func readTraces(t *testing.T, l *Listener, quiet time.Duration) []*Trace {
	t.Helper()
	ch := make(chan []*Trace)
	go func() {
		for {
			tr, err := l.Read()
			if err != nil {
				close(ch)
				return
			}
			ch <- tr
		}
	}()
	// The quiet period starts with the first trace: on a loaded machine
	// (tests of other packages loading BPF programs on both CPUs) the
	// first one may take longer than quiet to come.
	var out []*Trace
	wait := firstTraceWait
	for {
		select {
		case tr, ok := <-ch:
			if !ok {
				t.Fatal("listener stopped")
			}
			out = append(out, tr...)
			wait = quiet
		case <-time.After(wait):
			l.Close()
			for range ch {
			}
			return out
		}
	}
}

// tracedSetup links two test namespaces, drops UDP to dropPort in b and
// installs Retis_Table there.
func tracedSetup(t *testing.T, dropPort uint16) (a, b *Namespace, ipB net.IP, dt dropTable) {
	a, b = testNamespace(t), testNamespace(t)
	_, ipB = vethPair(t, a, b)
	dt = addDropTable(t, b, dropPort)
	tbl, err := InstallTable(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tbl.Remove(); err != nil {
			t.Error(err)
		}
	})
	return a, b, ipB, dt
}

// udpOf returns the traces of the UDP packet from sport.
func udpOf(traces []*Trace, sport uint16) []*Trace {
	var out []*Trace
	for _, tr := range traces {
		k, ok := keyFromHeaders(tr.Headers.Network, tr.Headers.Transport)
		if ok && k.proto == unix.IPPROTO_UDP && k.sport == sport {
			out = append(out, tr)
		}
	}
	return out
}

func TestListenDrop(t *testing.T) {
	requireNftTrace(t)
	a, b, ipB, dt := tracedSetup(t, 9999)
	l, err := Listen(b, ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	dropped := sendUDP(t, a, ipB, 9999, []byte("dropped"))
	passed := sendUDP(t, a, ipB, 9998, []byte("passed"))
	traces := readTraces(t, l, 500*time.Millisecond)

	for _, tr := range traces {
		if tr.Table == TableName {
			t.Errorf("event of Retis_Table's own chain returned: %+v", tr)
		}
		if tr.Verdict != VerdictDrop && tr.Verdict != VerdictAccept {
			t.Errorf("verdict %s returned with the default --nft-verdicts", tr.Verdict)
		}
	}
	d := udpOf(traces, dropped)
	if len(d) != 1 {
		t.Fatalf("dropped packet: %d traces, want 1 (%v)", len(d), d)
	}
	tr := d[0]
	th, ch := nftHandles(t, b, dt.table, dt.chain)
	if th == 0 {
		th, ch = tr.TableHandle, tr.ChainHandle
	}
	if th == 0 || ch == 0 {
		t.Errorf("handles not resolved: table %d, chain %d", tr.TableHandle, tr.ChainHandle)
	}
	if tr.Type != TraceRule || tr.Family != unix.NFPROTO_INET || tr.Table != dt.table || tr.Chain != dt.chain ||
		!tr.HasRuleHandle || tr.RuleHandle != dt.ruleHandle || tr.Verdict != VerdictDrop ||
		tr.TableHandle != th || tr.ChainHandle != ch || tr.NFProto != unix.NFPROTO_IPV4 ||
		tr.Iif == 0 || tr.IifName != "vb" || tr.Netns != b.Inum {
		t.Fatalf("drop trace %+v, want table %s (%d) chain %s (%d) handle %d drop on vb",
			tr, dt.table, th, dt.chain, ch, dt.ruleHandle)
	}
	k, _ := keyFromHeaders(tr.Headers.Network, tr.Headers.Transport)
	if k.dport != 9999 || net.IP(k.src[:4]).String() != "10.77.0.1" {
		t.Errorf("drop trace headers give %+v", k)
	}
	s := tr.Section()
	if s.TableName != dt.table || s.TableHandle != int64(th) || s.ChainHandle != int64(ch) ||
		*s.RuleHandle != int64(dt.ruleHandle) || s.Verdict != "drop" || s.Policy {
		t.Errorf("section %+v", s)
	}

	p := udpOf(traces, passed)
	if len(p) != 1 || !p[0].Policy() || p[0].Verdict != VerdictAccept || p[0].Table != dt.table ||
		p[0].HasRuleHandle {
		t.Fatalf("passed packet: traces %v, want the policy accept of %s", p, dt.chain)
	}
	// The policy event carries no headers: they came from the chain's
	// first event, which only an all-verdicts listener returns.
	if p[0].HeadersCarried || len(p[0].Headers.Network) == 0 {
		t.Errorf("policy accept: headers carried %v, remembered %d bytes", p[0].HeadersCarried, len(p[0].Headers.Network))
	}
}

func TestListenVerdictFilter(t *testing.T) {
	requireNftTrace(t)
	a, b, ipB, dt := tracedSetup(t, 9999)
	dropOnly, err := Listen(b, ListenOptions{Verdicts: VerdictDrop.bit()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropOnly.Close() })
	all, err := Listen(b, ListenOptions{Verdicts: ^VerdictSet(0)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { all.Close() })
	dropped := sendUDP(t, a, ipB, 9999, []byte("dropped"))
	passed := sendUDP(t, a, ipB, 9998, []byte("passed"))

	got := readTraces(t, dropOnly, 500*time.Millisecond)
	if d := udpOf(got, dropped); len(d) != 1 || d[0].Verdict != VerdictDrop {
		t.Errorf("drop-only listener: dropped packet gave %v", d)
	}
	if p := udpOf(got, passed); len(p) != 0 {
		t.Errorf("drop-only listener returned the policy accept: %v", p)
	}

	// With every verdict, the test chain's end-of-rules marker stays hidden.
	p := udpOf(readTraces(t, all, 100*time.Millisecond), passed)
	if len(p) != 1 || !p[0].Policy() || p[0].Table != dt.table {
		for _, tr := range p {
			t.Logf("%s %s/%s handle %v:%d %s", tr.Type, tr.Table, tr.Chain, tr.HasRuleHandle, tr.RuleHandle, tr.Verdict)
		}
		t.Fatalf("all-verdicts listener: passed packet gave %d traces, want only the policy accept", len(p))
	}
}

// nftHandles reads the table and chain handles with the nft tool, as an
// independent check of the listener's resolution (0, 0 without nft).
func nftHandles(t *testing.T, ns *Namespace, table, chain string) (uint64, uint64) {
	t.Helper()
	nft, err := exec.LookPath("nft")
	if err != nil {
		t.Logf("handles not cross-checked: %v", err)
		return 0, 0
	}
	out, err := exec.Command("ip", "netns", "exec", ns.Spec, nft, "-j", "list", "table", "inet", table).Output()
	if err != nil {
		t.Fatalf("nft list: %v", err)
	}
	var doc struct {
		Nftables []map[string]struct {
			Name   string `json:"name"`
			Handle uint64 `json:"handle"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	var th, ch uint64
	for _, o := range doc.Nftables {
		if v, ok := o["table"]; ok && v.Name == table {
			th = v.Handle
		}
		if v, ok := o["chain"]; ok && v.Name == chain {
			ch = v.Handle
		}
	}
	if th == 0 || ch == 0 {
		t.Fatalf("nft shows no handles for %s/%s: %s", table, chain, out)
	}
	return th, ch
}

// TestListenJump follows a packet through a jump to a chain it falls off
// the end of: the jump, the next rule of the base chain, its policy; the
// end-of-rules markers of both chains stay hidden on every kernel.
func TestListenJump(t *testing.T) {
	requireNftTrace(t)
	a, b := testNamespace(t), testNamespace(t)
	_, ipB := vethPair(t, a, b)
	conn, err := nftables.New(nftables.WithNetNSFd(b.FD()))
	if err != nil {
		t.Fatal(err)
	}
	tb := conn.AddTable(&nftables.Table{Name: "retis_jump", Family: nftables.TableFamilyINet})
	t.Cleanup(func() {
		conn.DelTable(tb)
		if err := conn.Flush(); err != nil {
			t.Errorf("remove test table: %v", err)
		}
	})
	policy := nftables.ChainPolicyAccept
	in := conn.AddChain(&nftables.Chain{Name: "input", Table: tb, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter, Policy: &policy})
	sub := conn.AddChain(&nftables.Chain{Name: "tcp_only", Table: tb})
	conn.AddRule(&nftables.Rule{Table: tb, Chain: sub, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}})
	conn.AddRule(&nftables.Rule{Table: tb, Chain: in, Exprs: []expr.Any{&expr.Verdict{Kind: expr.VerdictJump, Chain: sub.Name}}})
	conn.AddRule(&nftables.Rule{Table: tb, Chain: in, Exprs: []expr.Any{&expr.Counter{}}})
	if err := conn.Flush(); err != nil {
		t.Fatal(err)
	}
	rules, err := conn.GetRules(tb, in)
	if err != nil || len(rules) != 2 {
		t.Fatalf("rules: %v, %v", rules, err)
	}
	tbl, err := InstallTable(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tbl.Remove() })
	l, err := Listen(b, ListenOptions{Verdicts: ^VerdictSet(0)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })

	sport := sendUDP(t, a, ipB, 9998, []byte("x"))
	var got []string
	for _, tr := range udpOf(readTraces(t, l, 500*time.Millisecond), sport) {
		s := tr.Section()
		line := fmt.Sprintf("%s/%s", s.ChainName, s.Verdict)
		if s.RuleHandle != nil {
			line += fmt.Sprintf(" handle %d", *s.RuleHandle)
		}
		if s.VerdictChainName != nil {
			line += " chain " + *s.VerdictChainName
		}
		if s.Policy {
			line += " (policy)"
		}
		got = append(got, line)
	}
	want := []string{
		fmt.Sprintf("input/jump handle %d chain tcp_only", rules[0].Handle),
		fmt.Sprintf("input/continue handle %d", rules[1].Handle),
		"input/accept (policy)",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("traces\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
