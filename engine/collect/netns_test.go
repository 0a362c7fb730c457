package collect

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/retis-go/retis/internal/testutils"
)

// TestMain lets the test binary act as a traffic helper run inside a
// namespace (see helperCmd).
func TestMain(m *testing.M) {
	if h := os.Getenv("RETIS_TEST_HELPER"); h != "" {
		os.Exit(runHelper(h))
	}
	os.Exit(m.Run())
}

// runHelper sends traffic: "udp" sends RETIS_TEST_COUNT datagrams to
// RETIS_TEST_ADDR from RETIS_TEST_SPORT.
func runHelper(h string) int {
	switch h {
	case "udp":
		var n, sport int
		fmt.Sscan(os.Getenv("RETIS_TEST_COUNT"), &n)
		fmt.Sscan(os.Getenv("RETIS_TEST_SPORT"), &sport)
		raddr, err := net.ResolveUDPAddr("udp", os.Getenv("RETIS_TEST_ADDR"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		// Unconnected, so an ICMP port unreachable does not fail the
		// next send.
		conn, err := net.ListenUDP("udp", &net.UDPAddr{Port: sport})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer conn.Close()
		for i := 0; i < max(n, 1); i++ {
			if _, err := conn.WriteToUDP([]byte("retis-test-payload"), raddr); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
			time.Sleep(20 * time.Millisecond)
		}
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown helper", h)
	return 2
}

// helperCmd is a shell command running the UDP helper in namespace ns.
func helperCmd(ns *testNetns, addr string, sport, count int) string {
	return fmt.Sprintf("ip netns exec %s env RETIS_TEST_HELPER=udp RETIS_TEST_ADDR=%s RETIS_TEST_SPORT=%d RETIS_TEST_COUNT=%d %s",
		ns.name, addr, sport, count, os.Args[0])
}

var netnsSeq atomic.Int32

// testNetns is a named network namespace the test created.
type testNetns struct {
	name   string
	handle netns.NsHandle
	nl     *netlink.Handle
	inum   uint32
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: loads BPF programs and creates network namespaces")
	}
	for _, bin := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s (iproute2, nftables) to set up namespaces", bin)
		}
	}
	testutils.RequireBPF(t)
}

func newNetns(t *testing.T) *testNetns {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	name := fmt.Sprintf("retis-t%d-%d", os.Getpid(), netnsSeq.Add(1))
	h, err := netns.NewNamed(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := netns.Set(orig); err != nil {
		t.Fatal(err)
	}
	ns := &testNetns{name: name, handle: h}
	t.Cleanup(func() {
		if ns.nl != nil {
			ns.nl.Close()
		}
		h.Close()
		netns.DeleteNamed(name)
	})
	var st unix.Stat_t
	if err := unix.Fstat(int(h), &st); err != nil {
		t.Fatal(err)
	}
	ns.inum = uint32(st.Ino)
	if ns.nl, err = netlink.NewHandleAt(h); err != nil {
		t.Fatal(err)
	}
	lo, err := ns.nl.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.nl.LinkSetUp(lo); err != nil {
		t.Fatal(err)
	}
	return ns
}

// veth connects a and b with a veth pair named an/bn, addressed with the
// given CIDRs, and returns the two ifindexes.
func veth(t *testing.T, a *testNetns, an, acidr string, b *testNetns, bn, bcidr string) (int, int) {
	t.Helper()
	link := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: an},
		PeerName:      bn,
		PeerNamespace: netlink.NsFd(int(b.handle)),
	}
	if err := a.nl.LinkAdd(link); err != nil {
		t.Fatalf("add veth %s/%s: %v", an, bn, err)
	}
	setup := func(ns *testNetns, name, cidr string) int {
		l, err := ns.nl.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		addr, err := netlink.ParseAddr(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := ns.nl.AddrAdd(l, addr); err != nil {
			t.Fatal(err)
		}
		if err := ns.nl.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
		return l.Attrs().Index
	}
	return setup(a, an, acidr), setup(b, bn, bcidr)
}

// addRoute adds a route in ns to dst via gw.
func addRoute(t *testing.T, ns *testNetns, dst, gw string) {
	t.Helper()
	_, ipnet, err := net.ParseCIDR(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.nl.RouteAdd(&netlink.Route{Dst: ipnet, Gw: net.ParseIP(gw)}); err != nil {
		t.Fatalf("route %s via %s: %v", dst, gw, err)
	}
}

// sysctl writes a sysctl of namespace ns.
func sysctl(t *testing.T, ns *testNetns, key, value string) {
	t.Helper()
	run(t, "ip", "netns", "exec", ns.name, "sysctl", "-qw", key+"="+value)
}

// loadRuleset loads an nftables ruleset into namespace ns; the tables go away
// with the namespace.
func loadRuleset(t *testing.T, ns *testNetns, rules string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns.name, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft in %s: %v\n%s", ns.name, err, out)
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func isRoot() bool { return os.Geteuid() == 0 }
