package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
	"github.com/retis-go/retis/internal/testutils"
	"github.com/retis-go/retis/vm/vmtest"
)

// reallocNet is three namespaces: A sends UDP to 10.73.3.2 through R,
// which forwards it into an IPIP tunnel to B. A packet coming from a veth
// has about 16 bytes of headroom; R needs 14 + 20 more for the tunnel's
// headers, so it reallocates the head (pskb_expand_head, from ip_forward's
// skb_cow) before encapsulating.
type reallocNet struct {
	a, r, b  string
	inum     map[uint32]string // netns inode -> "A", "R" or "B"
	payloads []string
}

func newReallocNet(t *testing.T) *reallocNet {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: loads BPF programs and creates network namespaces")
	}
	for _, bin := range []string{"ip", "bash"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("needs %s (.ci/setup installs it)", bin)
		}
	}
	testutils.RequireBPF(t)
	pid := os.Getpid()
	n := &reallocNet{
		a:    fmt.Sprintf("retis-ra-%d", pid),
		r:    fmt.Sprintf("retis-rr-%d", pid),
		b:    fmt.Sprintf("retis-rb-%d", pid),
		inum: map[uint32]string{},
	}
	t.Cleanup(func() {
		// Links and tunnels go with their namespace.
		for _, ns := range []string{n.a, n.r, n.b} {
			exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	sh := func(format string, args ...any) {
		t.Helper()
		cmd := fmt.Sprintf(format, args...)
		if out, err := exec.Command("sh", "-c", cmd).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", cmd, err, out)
		}
	}
	sh("ip netns add %s && ip netns add %s && ip netns add %s", n.a, n.r, n.b)
	sh("ip link add va netns %s type veth peer name ra netns %s", n.a, n.r)
	sh("ip link add rb netns %s type veth peer name vb netns %s", n.r, n.b)
	sh("ip -n %s addr add 10.73.1.1/24 dev va && ip -n %s addr add 10.73.1.2/24 dev ra", n.a, n.r)
	sh("ip -n %s addr add 10.73.2.1/24 dev rb && ip -n %s addr add 10.73.2.2/24 dev vb", n.r, n.b)
	for _, l := range [][2]string{{n.a, "lo"}, {n.a, "va"}, {n.r, "lo"}, {n.r, "ra"}, {n.r, "rb"}, {n.b, "lo"}, {n.b, "vb"}} {
		sh("ip -n %s link set %s up", l[0], l[1])
	}
	sh("ip -n %s route add 10.73.3.0/24 via 10.73.1.2", n.a)
	sh("ip netns exec %s sysctl -qw net.ipv4.ip_forward=1", n.r)
	sh("ip -n %s link add tun0 type ipip local 10.73.2.1 remote 10.73.2.2 && ip -n %s link set tun0 up", n.r, n.r)
	sh("ip -n %s route add 10.73.3.0/24 dev tun0", n.r)
	sh("ip -n %s link add tun0 type ipip local 10.73.2.2 remote 10.73.2.1 && ip -n %s link set tun0 up", n.b, n.b)
	sh("ip -n %s addr add 10.73.3.2/24 dev tun0", n.b)
	for name, ns := range map[string]string{"A": n.a, "R": n.r, "B": n.b} {
		fi, err := os.Stat(filepath.Join("/run/netns", ns))
		if err != nil {
			t.Fatal(err)
		}
		n.inum[uint32(fi.Sys().(*syscall.Stat_t).Ino)] = name
	}
	for i := range 3 {
		n.payloads = append(n.payloads, fmt.Sprintf("retis-realloc-%d-%d", pid, i))
	}
	return n
}

// traffic is a shell command sending one UDP datagram per payload from A.
func (n *reallocNet) traffic() string {
	return fmt.Sprintf("ip netns exec %s bash -c 'for p in %s; do echo $p > /dev/udp/10.73.3.2/9999; sleep 0.1; done'; sleep 0.3",
		n.a, strings.Join(n.payloads, " "))
}

// where names an event's place: namespace, hook and device.
func (n *reallocNet) where(e *events.Event) string {
	s := n.inum[e.Netns.Inum] + " " + e.Kernel.Symbol
	if e.Dev != nil {
		s += " " + e.Dev.Name
	}
	return s
}

// ofPayload returns the events whose packet carries payload (inner or
// encapsulated), in file order.
func ofPayload(evs []*events.Event, payload string) []*events.Event {
	var out []*events.Event
	for _, e := range evs {
		if e.Packet != nil && e.Kernel != nil && e.Netns != nil && bytes.Contains(e.Packet.Data, []byte(payload)) {
			out = append(out, e)
		}
	}
	return out
}

func trackingOf(e *events.Event) string {
	if e.SkbTracking == nil {
		return "none"
	}
	return fmt.Sprintf("%x%016x", e.SkbTracking.Timestamp, e.SkbTracking.OrigHead)
}

// Core tracking follows a packet across a head reallocation: the router's
// events before pskb_expand_head and every event after it (encapsulated on
// the wire, decapsulated in B) keep the tracking id the packet got when A
// sent it, and `retis sort` makes one series of them. With the default
// kprobe backend (kprobe-multi, else kprobe) and with fentry forced: the
// core's own tracking probes use it too. Needs kprobes or fentry: without
// them the id changes at the reallocation (the VM tier's kernels have
// them; the host's does not).
func TestTrackingHeadRealloc(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		want := probe.KprobeMulti
		if probe.HaveKprobeMulti() != nil {
			want = probe.KprobeSingle
		}
		vmtest.SkipIfNotSupported(t, want.String(), want.Supported())
		testHeadRealloc(t, "", want.String())
	})
	t.Run("fentry", func(t *testing.T) {
		vmtest.SkipIfNotSupported(t, "fentry", probe.HaveFentry())
		testHeadRealloc(t, "fentry", "fentry")
	})
}

// testHeadRealloc collects the tunnel traffic with backend forced for
// kprobes ("" for the default order), checking that the tracking probes
// got attached through want.
func testHeadRealloc(t *testing.T, backend, want string) {
	n := newReallocNet(t)
	dir := t.TempDir()
	args := []string{"--log-level", "debug", "collect", "-c", "skb-tracking,skb,ns,dev", "-f", "udp port 9999",
		"-p", "tp:net:netif_receive_skb", "-p", "tp:net:net_dev_start_xmit", "-p", "kprobe:pskb_expand_head",
		"-o", "--cmd", n.traffic()}
	if backend != "" {
		args = append(args, "--probe-backend", backend)
	}
	r := run(t, dir, args...)
	if r.code != 0 {
		t.Fatalf("collect: %+v", r)
	}
	// The core's tracking probes are optional: a failure to attach one is
	// only a warning, which here means the test proves nothing.
	if strings.Contains(r.stderr, "[WARN]") {
		t.Fatalf("collect warned:\n%s", r.stderr)
	}
	for _, p := range []string{"kprobe:pskb_expand_head", "kprobe:skb_free_head", "kprobe:kfree_skb_partial"} {
		if line := "probe attached probe=" + p + " backend=" + want; !strings.Contains(r.stderr, line) {
			t.Fatalf("collect did not log %q:\n%s", line, r.stderr)
		}
	}
	evs := readFile(t, filepath.Join(dir, "retis.data"))

	// Before the reallocation (A's xmit, R's receive) and after it (R's
	// xmit into the tunnel, the encapsulated packet on the wire to B, the
	// decapsulated one in B): one id per packet.
	points := []string{
		"A net:net_dev_start_xmit va",
		"R net:netif_receive_skb ra",
		"R pskb_expand_head ra",
		"R net:net_dev_start_xmit rb",
		"B net:netif_receive_skb vb",
		"B net:netif_receive_skb tun0",
	}
	ids := map[string]string{}
	for _, p := range n.payloads {
		got := ofPayload(evs, p)
		seen := map[string]bool{}
		var trace []string
		for _, e := range got {
			seen[n.where(e)] = true
			trace = append(trace, n.where(e)+" #"+trackingOf(e))
		}
		for _, w := range points {
			if !seen[w] {
				t.Fatalf("packet %s: no event at %s; its events:\n  %s", p, w, strings.Join(trace, "\n  "))
			}
		}
		id := trackingOf(got[0])
		for _, e := range got[1:] {
			if trackingOf(e) != id {
				t.Fatalf("packet %s changed tracking id (the head reallocation was not followed):\n  %s", p, strings.Join(trace, "\n  "))
			}
		}
		if id == "none" {
			t.Fatalf("packet %s is not tracked:\n  %s", p, strings.Join(trace, "\n  "))
		}
		if other, dup := ids[id]; dup {
			t.Fatalf("packets %s and %s share tracking id %s", other, p, id)
		}
		ids[id] = p
		// pskb_expand_head came between the receive and the tunnel's
		// xmit: the reallocation happened to this packet, in between.
		var order []string
		for _, e := range got {
			if n.inum[e.Netns.Inum] == "R" {
				order = append(order, n.where(e))
			}
		}
		if len(order) < 3 || order[0] != "R net:netif_receive_skb ra" || order[1] != "R pskb_expand_head ra" {
			t.Errorf("packet %s: router events in order %q, want the receive then pskb_expand_head", p, order)
		}
		t.Logf("packet %s: %d events, id %s", p, len(got), id)
	}

	// retis sort: one series per packet, holding all of its events.
	s := run(t, dir, "sort", "-o", "-")
	if s.code != 0 {
		t.Fatalf("sort: %+v", s)
	}
	series := readSeries(t, s.stdout)
	for _, p := range n.payloads {
		total := len(ofPayload(evs, p))
		var in []int
		for i, sr := range series {
			if k := len(ofPayload(sr, p)); k > 0 {
				in = append(in, i)
				if k != total {
					t.Errorf("packet %s: series %d holds %d of its %d events", p, i, k, total)
				}
			}
		}
		if len(in) != 1 {
			t.Errorf("packet %s is in %d series (%v), want 1", p, len(in), in)
		}
	}
}

// readFile returns a file's events, startup excluded.
func readFile(t *testing.T, path string) []*events.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*events.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e events.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if e.Startup == nil {
			out = append(out, &e)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// readSeries decodes `retis sort -o -`: one JSON array of events per line.
func readSeries(t *testing.T, out string) [][]*events.Event {
	t.Helper()
	var series [][]*events.Event
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var sr []*events.Event
		if err := json.Unmarshal([]byte(line), &sr); err != nil {
			// The startup event comes first, alone.
			var e events.Event
			if json.Unmarshal([]byte(line), &e) == nil && e.Startup != nil {
				continue
			}
			t.Fatalf("sort output line %q: %v", line, err)
		}
		series = append(series, sr)
	}
	return series
}
