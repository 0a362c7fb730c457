package nft

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/retis-go/retis/internal/testutils"
)

// requireRoot skips a test that changes namespaces when not run as root.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and nft tables")
	}
	testutils.RequireWorkingKernel(t)
}

var nsSeq atomic.Uint32

// testNamespace creates a named network namespace (/run/netns/NAME) that
// t.Cleanup deletes, and returns it opened.
func testNamespace(t *testing.T) *Namespace {
	t.Helper()
	requireRoot(t)
	name := fmt.Sprintf("retis-nft-%d-%d", os.Getpid(), nsSeq.Add(1))
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("current netns: %v", err)
	}
	h, err := netns.NewNamed(name)
	if serr := netns.Set(orig); serr != nil {
		// The thread is stuck in the new namespace: let it die with the
		// goroutine rather than run other code there.
		t.Fatalf("back to the original netns: %v", serr)
	}
	orig.Close()
	runtime.UnlockOSThread()
	if err != nil {
		t.Fatalf("create netns %s: %v", name, err)
	}
	h.Close()
	t.Cleanup(func() {
		if err := netns.DeleteNamed(name); err != nil {
			t.Errorf("delete netns %s: %v", name, err)
		}
	})
	ns, err := OpenNamespace(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

// inNamespace runs fn on a thread switched into ns. Sockets fn creates stay
// in ns and may be used from any thread afterwards.
func inNamespace(t *testing.T, ns *Namespace, fn func()) {
	t.Helper()
	done := make(chan struct{})
	var failure error
	go func() {
		defer close(done)
		runtime.LockOSThread()
		// No UnlockOSThread: if switching back fails the thread must die.
		orig, err := netns.Get()
		if err != nil {
			failure = err
			return
		}
		defer orig.Close()
		if err := netns.Set(netns.NsHandle(ns.FD())); err != nil {
			failure = err
			return
		}
		fn()
		if err := netns.Set(orig); err != nil {
			failure = err
			return
		}
		runtime.UnlockOSThread()
	}()
	<-done
	if failure != nil {
		t.Fatalf("in %s: %v", ns, failure)
	}
}

// vethPair links two namespaces with a veth pair va (10.77.0.1, in a) and
// vb (10.77.0.2, in b), both up.
func vethPair(t *testing.T, a, b *Namespace) (ipA, ipB net.IP) {
	t.Helper()
	ha, err := netlink.NewHandleAt(netns.NsHandle(a.FD()))
	if err != nil {
		t.Fatal(err)
	}
	defer ha.Close()
	hb, err := netlink.NewHandleAt(netns.NsHandle(b.FD()))
	if err != nil {
		t.Fatal(err)
	}
	defer hb.Close()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "va"}, PeerName: "vb", PeerNamespace: netlink.NsFd(b.FD())}
	if err := ha.LinkAdd(veth); err != nil {
		t.Fatalf("add veth: %v", err)
	}
	ipA, ipB = net.IPv4(10, 77, 0, 1).To4(), net.IPv4(10, 77, 0, 2).To4()
	for _, s := range []struct {
		h    *netlink.Handle
		name string
		ip   net.IP
	}{{ha, "va", ipA}, {hb, "vb", ipB}} {
		l, err := s.h.LinkByName(s.name)
		if err != nil {
			t.Fatal(err)
		}
		addr := &netlink.Addr{IPNet: &net.IPNet{IP: s.ip, Mask: net.CIDRMask(24, 32)}}
		if err := s.h.AddrAdd(l, addr); err != nil {
			t.Fatalf("address %s: %v", s.name, err)
		}
		if err := s.h.LinkSetUp(l); err != nil {
			t.Fatalf("up %s: %v", s.name, err)
		}
		lo, err := s.h.LinkByName("lo")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.h.LinkSetUp(lo); err != nil {
			t.Fatal(err)
		}
	}
	return ipA, ipB
}

// dropTable is a test ruleset: table inet retis_test, chain input (policy
// accept) with one rule dropping UDP to port.
type dropTable struct {
	table, chain string
	ruleHandle   uint64
}

func addDropTable(t *testing.T, ns *Namespace, port uint16) dropTable {
	t.Helper()
	conn, err := nftables.New(nftables.WithNetNSFd(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	tb := conn.AddTable(&nftables.Table{Name: "retis_test", Family: nftables.TableFamilyINet})
	t.Cleanup(func() {
		conn.DelTable(tb)
		if err := conn.Flush(); err != nil {
			t.Errorf("remove test table: %v", err)
		}
	})
	policy := nftables.ChainPolicyAccept
	ch := conn.AddChain(&nftables.Chain{
		Name: "input", Table: tb, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter, Policy: &policy,
	})
	conn.AddRule(&nftables.Rule{Table: tb, Chain: ch, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_UDP}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(port >> 8), byte(port)}},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}})
	if err := conn.Flush(); err != nil {
		t.Fatalf("add test table: %v", err)
	}
	rules, err := conn.GetRules(tb, ch)
	if err != nil || len(rules) != 1 {
		t.Fatalf("list test rules: %v (%d rules)", err, len(rules))
	}
	return dropTable{table: tb.Name, chain: ch.Name, ruleHandle: rules[0].Handle}
}

// sendUDP sends one datagram from ns to dst:port and returns the source
// port used.
func sendUDP(t *testing.T, ns *Namespace, dst net.IP, port uint16, payload []byte) uint16 {
	t.Helper()
	var conn *net.UDPConn
	var err error
	inNamespace(t, ns, func() {
		conn, err = net.DialUDP("udp4", nil, &net.UDPAddr{IP: dst, Port: int(port)})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(payload); err != nil {
		t.Fatalf("send: %v", err)
	}
	return uint16(conn.LocalAddr().(*net.UDPAddr).Port)
}

// testLogger logs into w as text.
func testLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil))
}
