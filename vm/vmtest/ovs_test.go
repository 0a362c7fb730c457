package vmtest

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// ipCmd runs ip(8) with args, failing t on error.
func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// TestOVSDatapath pings between two namespaces plugged into an OvS bridge
// and checks that the kernel datapath switched the packets: it missed the
// first ones (upcalls to ovs-vswitchd), which installed the flows it then
// hit.
func TestOVSDatapath(t *testing.T) {
	o := StartOVS(t)
	const bridge = "br-vmtest"
	o.AddBridge(t, bridge)
	// Names are global: make them this process's own.
	ns := []string{fmt.Sprintf("vmtest-%d-a", os.Getpid()), fmt.Sprintf("vmtest-%d-b", os.Getpid())}
	addrs := []string{"192.0.2.1", "192.0.2.2"}
	for i, n := range ns {
		ipCmd(t, "netns", "add", n)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", n).Run() })
		port := fmt.Sprintf("vmt%d%c", os.Getpid(), 'a'+i)
		ipCmd(t, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", n)
		t.Cleanup(func() { exec.Command("ip", "link", "del", port).Run() })
		ipCmd(t, "-n", n, "addr", "add", addrs[i]+"/24", "dev", "eth0")
		ipCmd(t, "-n", n, "link", "set", "eth0", "up")
		ipCmd(t, "link", "set", port, "up")
		if _, err := o.Vsctl("add-port", bridge, port); err != nil {
			t.Fatal(err)
		}
	}

	const pings = 3
	out, err := exec.Command("ip", "netns", "exec", ns[0], "ping", "-c", strconv.Itoa(pings), "-i", "0.2", "-W", "5", addrs[1]).CombinedOutput()
	if err != nil {
		t.Fatalf("ping %s from %s through %s: %v\n%s\novs-vswitchd log:\n%s", addrs[1], ns[0], bridge, err, out, o.Log())
	}
	if !strings.Contains(string(out), fmt.Sprintf("%d received", pings)) {
		t.Fatalf("ping did not get %d replies:\n%s", pings, out)
	}

	show, err := o.Dpctl("show")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`lookups: hit:(\d+) missed:(\d+) lost:(\d+)`).FindStringSubmatch(show)
	if m == nil {
		t.Fatalf("no lookup statistics in ovs-dpctl show:\n%s", show)
	}
	hit, _ := strconv.Atoi(m[1])
	missed, _ := strconv.Atoi(m[2])
	lost, _ := strconv.Atoi(m[3])
	// Each echo request and reply crosses the datapath once, plus ARP.
	if missed == 0 || hit == 0 || hit+missed < 2*pings || lost != 0 {
		t.Errorf("datapath lookups hit %d, missed %d, lost %d; want some hits and misses, %d or more in all, none lost:\n%s",
			hit, missed, lost, 2*pings, show)
	}
	flows, err := o.Dpctl("dump-flows")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`eth_type\(0x0800\).*packets:[1-9]`).MatchString(flows) {
		t.Errorf("no IPv4 flow with packets in the kernel datapath:\n%s", flows)
	}
	t.Logf("datapath: hit %d, missed %d\n%s", hit, missed, flows)
}
