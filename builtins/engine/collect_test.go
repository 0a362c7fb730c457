package engine

import (
	"slices"
	"testing"

	"github.com/retis-go/retis/builtins/collect"
)

func TestCollectConfigFromDeclarations(t *testing.T) {
	p1, _ := collect.ParseProbe("tp:skb:kfree_skb/stack")
	p2, _ := collect.ParseProbe("ip_rcv")
	filter, out, ring := "udp port 53", "x.data", uint64(1<<20)
	profile := &collect.Config{Collectors: []string{"skb", "skb-drop"}, Probes: []collect.ProbeSpec{p1}, Filter: &filter}
	stop := uint64(10)
	flags := &collect.Config{Probes: []collect.ProbeSpec{p2}, Out: &out, RingSize: &ring, StopAfter: &stop}
	profile.Extend(flags)
	c := CollectConfig(profile)
	if !slices.Equal(c.Probes, []string{"tp:skb:kfree_skb/stack", "kprobe:ip_rcv"}) {
		t.Fatalf("probes %q", c.Probes)
	}
	if c.Filter != filter || c.Output != out || c.RingSize != 1<<20 || c.StopAfter != 10 || !slices.Equal(c.Collectors, []string{"skb", "skb-drop"}) {
		t.Fatalf("config %+v", c)
	}
	if c.Stack || c.Print || c.Cmd != "" {
		t.Fatalf("unset values became set: %+v", c)
	}
}
