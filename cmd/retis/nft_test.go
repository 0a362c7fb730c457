package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/retis-go/retis/engine/events"
)

// nftTraffic sends one UDP datagram from a to b's port 9999, which b's
// rule drops.
func nftTraffic(a string) string {
	return fmt.Sprintf("ip netns exec %s bash -c 'echo x > /dev/udp/10.201.0.2/9999'; sleep 0.3", a)
}

// retisTablePresent tells whether inet Retis_Table is in namespace ns.
func retisTablePresent(t *testing.T, ns string) bool {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "nft", "list", "tables").CombinedOutput()
	if err != nil {
		t.Fatalf("nft list tables in %s: %v\n%s", ns, err, out)
	}
	return strings.Contains(string(out), "table inet Retis_Table")
}

// dropRuleHandle returns the handle of b's drop rule, as nft numbers it.
func dropRuleHandle(t *testing.T, ns string) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "nft", "-a", "list", "chain", "inet", "t", "c").CombinedOutput()
	if err != nil {
		t.Fatalf("nft -a list chain: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`udp dport 9999 drop # handle (\d+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no drop rule handle in:\n%s", out)
	}
	return string(m[1])
}

func readEvents(t *testing.T, path string) []*events.Event {
	t.Helper()
	rd, err := events.Open(path, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var evs []*events.Event
	for {
		e, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return evs
		}
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, e)
	}
}

// The nft verdict of a dropped packet: the right table, chain, rule and
// verdict, in the same series as the packet's skb-drop event; and the
// table retis added is gone once --cmd ends.
func TestCollectNftDrop(t *testing.T) {
	a, b := liveSetup(t)
	dir := t.TempDir()
	r := run(t, dir, "collect", "--allow-system-changes", "--nft-netns", b, "--nft-source", "netlink",
		"-c", "skb,skb-tracking,skb-drop,dev,ns,nft", "-p", "tp:net:netif_receive_skb",
		"-f", "udp port 9999", "-o", "--cmd", nftTraffic(a))
	if r.code != 0 {
		t.Fatalf("collect: %+v", r)
	}
	if !strings.Contains(r.stderr, "nft collector: source netlink") || !strings.Contains(r.stderr, "table inet Retis_Table removed") {
		t.Errorf("nft collector not reported: %s", r.stderr)
	}
	if retisTablePresent(t, b) {
		t.Fatal("Retis_Table left in the namespace after --cmd ended")
	}

	handle := dropRuleHandle(t, b)
	var verdict, drop *events.Event
	for _, e := range readEvents(t, filepath.Join(dir, events.DefaultFile)) {
		switch {
		case e.Nft != nil:
			if verdict != nil {
				t.Errorf("more than one verdict: %+v", e.Nft)
			}
			verdict = e
		case e.SkbDrop != nil:
			drop = e
		}
	}
	if verdict == nil || drop == nil {
		t.Fatalf("verdict %v, drop %v: want both", verdict, drop)
	}
	n := verdict.Nft
	if n.TableName != "t" || n.ChainName != "c" || n.Verdict != "drop" || n.Policy || n.RuleHandle == nil ||
		fmt.Sprint(*n.RuleHandle) != handle || n.TableHandle <= 0 || n.ChainHandle <= 0 {
		t.Errorf("verdict %+v (rule handle %v), want table t chain c handle %s drop", *n, n.RuleHandle, handle)
	}
	if drop.SkbDrop.DropReason != "NETFILTER_DROP" {
		t.Errorf("drop reason %s", drop.SkbDrop.DropReason)
	}
	if verdict.SkbTracking == nil || drop.SkbTracking == nil || *verdict.SkbTracking != *drop.SkbTracking {
		t.Errorf("verdict tracking %+v, drop tracking %+v: want the same packet", verdict.SkbTracking, drop.SkbTracking)
	}
	if verdict.Common.Timestamp >= drop.Common.Timestamp {
		t.Errorf("verdict at %d not before the drop at %d", verdict.Common.Timestamp, drop.Common.Timestamp)
	}

	s := run(t, dir, "sort")
	want := regexp.MustCompile(`table t \(\d+\) chain c \(\d+\) handle ` + handle + ` drop\n(.*\n)*.*drop \(reason NETFILTER_DROP\)`)
	if s.code != 0 || !want.MatchString(s.stdout) {
		t.Fatalf("sort does not show the verdict then the drop in one series: %+v", s)
	}
	series := strings.Split(s.stdout, "\n\n")
	for _, sr := range series {
		if strings.Contains(sr, "handle "+handle+" drop") && !strings.Contains(sr, "NETFILTER_DROP") {
			t.Errorf("verdict and drop in different series:\n%s", s.stdout)
		}
	}
}

// Asked for by name without --allow-system-changes, the nft collector
// refuses, says why, and adds nothing.
func TestCollectNftNeedsAllow(t *testing.T) {
	_, b := liveSetup(t)
	r := run(t, "", "collect", "-c", "nft", "--nft-netns", b, "--cmd", "true")
	if r.code == 0 || !strings.Contains(r.stderr, "--allow-system-changes") {
		t.Fatalf("want a refusal naming --allow-system-changes: %+v", r)
	}
	if retisTablePresent(t, b) {
		t.Fatal("Retis_Table added without --allow-system-changes")
	}
}

// startCollect starts a collection with the nft collector watching b and
// waits until its table is in place.
func startCollect(t *testing.T, b string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(retisBin, "collect", "--allow-system-changes", "--nft-netns", b,
		"-c", "skb,skb-tracking,nft", "-p", "tp:net:netif_receive_skb", "-o", filepath.Join(t.TempDir(), "retis.data"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stderr.String(), "probe(s) loaded"); {
		if time.Now().After(deadline) {
			t.Fatalf("collect did not start:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !retisTablePresent(t, b) {
		t.Fatalf("no Retis_Table while collecting:\n%s", stderr.String())
	}
	return cmd, &stderr
}

// SIGINT and SIGTERM end a collection cleanly: exit 0, table removed.
func TestCollectNftSignals(t *testing.T) {
	_, b := liveSetup(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, stderr := startCollect(t, b)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit after %v: %v\n%s", sig, err, stderr)
			}
			if retisTablePresent(t, b) {
				t.Fatalf("Retis_Table left after %v:\n%s", sig, stderr)
			}
		})
	}
}

// A collector killed outright leaves its table; the next run replaces
// it, says so, and removes it at its end.
func TestCollectNftStaleTable(t *testing.T) {
	_, b := liveSetup(t)
	cmd, _ := startCollect(t, b)
	cmd.Process.Kill()
	cmd.Wait()
	if !retisTablePresent(t, b) {
		t.Fatal("SIGKILL removed the table: this test cannot show a stale table being cleaned")
	}
	r := run(t, "", "collect", "--allow-system-changes", "--nft-netns", b, "-c", "skb,nft", "-p", "tp:net:netif_receive_skb", "--cmd", "true")
	if r.code != 0 || !strings.Contains(r.stderr, "replacing a stale nft table") {
		t.Fatalf("second run did not report the stale table: %+v", r)
	}
	if retisTablePresent(t, b) {
		t.Fatal("Retis_Table left after the second run")
	}
}

// The nft-dropmon profile: the drop with its rule, packet and device.
func TestCollectNftDropmonProfile(t *testing.T) {
	a, b := liveSetup(t)
	dir := t.TempDir()
	r := run(t, dir, "collect", "-p", "nft-dropmon", "--allow-system-changes", "--nft-netns", b,
		"-f", "udp port 9999", "-o", "--cmd", nftTraffic(a))
	if r.code != 0 {
		t.Fatalf("collect: %+v", r)
	}
	handle := dropRuleHandle(t, b)
	wants := []string{"table t (", "handle " + handle + " drop", "10.201.0.1.", " > 10.201.0.2.9999", "(vl)"}
	switch {
	case strings.Contains(r.stderr, "source kprobe"):
		// Where functions can be probed: the verdict comes in an event
		// of the packet's own skb.
		wants = append(wants, "[k] __nft_trace_packet")
	case !strings.Contains(r.stderr, "1 verdict(s) joined to their packet"):
		t.Errorf("the verdict did not join its packet: %s", r.stderr)
	}
	p := run(t, dir, "print")
	for _, want := range wants {
		if !strings.Contains(p.stdout, want) {
			t.Errorf("print lacks %q:\n%s", want, p.stdout)
		}
	}
	if strings.Contains(p.stdout, " accept") {
		t.Errorf("nft-dropmon shows accept verdicts:\n%s", p.stdout)
	}
}

// Under other traffic (a ping flood beside the dropped datagrams), every
// verdict joins the skb-drop event of its own packet: same tracking id,
// same bytes.
func TestCollectNftJoinUnderLoad(t *testing.T) {
	a, b := liveSetup(t)
	dir := t.TempDir()
	const drops = 100
	traffic := fmt.Sprintf("ip netns exec %s ping -q -f -c 1000 10.201.0.2 >/dev/null & "+
		"ip netns exec %s bash -c 'for i in $(seq %d); do echo x > /dev/udp/10.201.0.2/9999; done'; wait; sleep 0.3", a, a, drops)
	r := run(t, dir, "collect", "--allow-system-changes", "--nft-netns", b, "--nft-verdicts", "drop",
		"-c", "skb,skb-tracking,skb-drop,dev,ns,nft", "-p", "tp:net:netif_receive_skb", "-p", "tp:net:net_dev_start_xmit",
		"-f", "host 10.201.0.2", "-o", "--cmd", traffic)
	if r.code != 0 {
		t.Fatalf("collect: %+v", r)
	}
	byID := map[events.SkbTracking]*events.Event{}
	var verdicts []*events.Event
	for _, e := range readEvents(t, filepath.Join(dir, events.DefaultFile)) {
		switch {
		case e.Nft != nil:
			verdicts = append(verdicts, e)
		case e.SkbDrop != nil && e.SkbDrop.DropReason == "NETFILTER_DROP" && e.SkbTracking != nil:
			id := *e.SkbTracking
			id.Skb = 0
			byID[id] = e
		}
	}
	if len(byID) != drops || len(verdicts) != drops {
		t.Fatalf("%d drops and %d verdicts, want %d of each\n%s", len(byID), len(verdicts), drops, r.stderr)
	}
	for _, v := range verdicts {
		if v.SkbTracking == nil {
			t.Fatalf("verdict not joined: %+v", v.Nft)
		}
		id := *v.SkbTracking
		id.Skb = 0
		d, ok := byID[id]
		if !ok || !bytes.Equal(d.Packet.Data, v.Packet.Data) {
			t.Fatalf("verdict joined to no drop of the same packet (tracking %+v)", *v.SkbTracking)
		}
	}
}
