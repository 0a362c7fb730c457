package collect

import (
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/retis-go/retis/builtins"
)

func declare(t *testing.T, src string) (*Config, error) {
	t.Helper()
	th := new(starlark.Thread)
	c := &Config{}
	SetDeclared(th, c)
	_, err := starlark.ExecFileOptions(&syntax.FileOptions{TopLevelControl: true}, th, "p.star", src, Predeclared())
	return c, err
}

func TestCollectEveryFlag(t *testing.T) {
	c, err := declare(t, `
collect(collectors = ["skb", "skb-drop"], probes = ["tp:skb:kfree_skb/stack", "ip_rcv"],
        filter = "udp port 53", meta = 'sk_buff.dev.name == "eth0"', stack = True,
        probe_stack = False, out = True, out_rotate = "64MB", print = True, print_ll = True,
        format = "single-line", utc = True, cmd = "ping -c1 10.0.0.1", stop_after = 100,
        skb_sections = "meta,gso", ring_size = "16MiB", allow_system_changes = True,
        nft_verdicts = ["drop"], ovs_track = True, ovs_enrich_flows = False,
        ovs_enrich_rate = 20, kconf = "/boot/config")
collect(collectors = ["skb", "dev"], filter = "udp port 53")
`)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string][2]any{
		"collectors":   {strings.Join(c.Collectors, ","), "skb,skb-drop,dev"},
		"probes":       {c.Probes[0].String() + " " + c.Probes[1].String(), "tp:skb:kfree_skb/stack kprobe:ip_rcv"},
		"filter":       {*c.Filter, "udp port 53"},
		"meta":         {*c.Meta, `sk_buff.dev.name == "eth0"`},
		"stack":        {*c.Stack, true},
		"probe_stack":  {*c.ProbeStack, false},
		"out":          {*c.Out, DefaultOut},
		"out_rotate":   {*c.OutRotate, uint64(64_000_000)},
		"print":        {*c.Print, true},
		"print_ll":     {*c.PrintLL, true},
		"format":       {*c.Format, "single-line"},
		"utc":          {*c.UTC, true},
		"cmd":          {*c.Cmd, "ping -c1 10.0.0.1"},
		"stop_after":   {*c.StopAfter, uint64(100)},
		"skb_sections": {strings.Join(c.SkbSections, ","), "meta,gso"},
		"ring_size":    {*c.RingSize, uint64(16 << 20)},
		"allow":        {*c.AllowSystemChanges, true},
		"verdicts":     {strings.Join(c.NftVerdicts, ","), "drop"},
		"ovs_track":    {*c.OvsTrack, true},
		"ovs_enrich":   {*c.OvsEnrichFlows, false},
		"ovs_rate":     {*c.OvsEnrichRate, uint64(20)},
		"kconf":        {*c.Kconf, "/boot/config"},
	}
	for name, gw := range checks {
		if gw[0] != gw[1] {
			t.Errorf("%s = %v, want %v", name, gw[0], gw[1])
		}
	}
}

func TestNoneMeansNotDeclared(t *testing.T) {
	c, err := declare(t, `collect(filter = None, stack = None, out = None)`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Filter != nil || c.Stack != nil || c.Out != nil {
		t.Fatalf("None declared something: %+v", c)
	}
}

func TestProbeMergesStack(t *testing.T) {
	c, err := declare(t, `
p = probe("skb:kfree_skb")
probe("tp:skb:kfree_skb", stack = True)
collect(probes = [p, "k:ip_rcv"])
if p.type != "raw_tracepoint" or p.target != "skb:kfree_skb" or p.stack:
    fail("attrs", p.type, p.target, p.stack)
`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.Probes {
		got = append(got, p.String())
	}
	if g := strings.Join(got, " "); g != "tp:skb:kfree_skb/stack kprobe:ip_rcv" {
		t.Fatalf("probes = %s", g)
	}
}

func TestDeclarationErrors(t *testing.T) {
	for src, want := range map[string]string{
		`collect(collectors = ["skb", "bogus"])`:                 `collect: for parameter "collectors": unknown collector "bogus" (one of auto, skb-tracking`,
		`collect(probes = "tp:skb:kfree_skb")`:                   `want a list of probes, got the string "tp:skb:kfree_skb"`,
		`collect(probes = ["xx:yy:zz"])`:                         `unknown type "xx"`,
		`collect(probes = ["tp:kfree_skb"])`:                     `a tracepoint is SUBSYSTEM:EVENT`,
		`collect(probes = ["ip_rcv/stak"])`:                      `unknown option "stak"`,
		`collect(filter = "a")` + "\n" + `collect(filter = "b")`: `collect: filter declared twice with different values: "a", then "b"`,
		`collect(ring_size = "16 furlongs")`:                     `bad size "16 furlongs"`,
		`collect(format = "json")`:                               `unknown value "json" (one of single-line, multi-line)`,
		`collect(stop_after = 0)`:                                `want a positive count, got 0`,
		`collect(out = False)`:                                   `out=False means nothing`,
		`collect("skb")`:                                         `collect: takes keyword arguments only`,
		`collect(filter = "")`:                                   `collect: filter: empty pcap-filter expression`,
		`probe()`:                                                `probe: missing argument for spec`,
		`output("")`:                                             `output: empty path`,
	} {
		_, err := declare(t, src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n got  %v\n want %s", src, err, want)
		}
	}
}

func TestNoDeclarationsInMain(t *testing.T) {
	th := new(starlark.Thread)
	SetDeclared(th, &Config{})
	ph := builtins.PhaseMain
	builtins.SetPhase(th, &ph)
	_, err := starlark.ExecFileOptions(&syntax.FileOptions{}, th, "p.star", `collect(stack = True)`, Predeclared())
	if err == nil || !strings.Contains(err.Error(), "collect: declarations are made while the script loads") {
		t.Fatalf("got %v", err)
	}
}

func TestExtendOverridesDeclareConflicts(t *testing.T) {
	a, b := "a", "b"
	yes := true
	c := &Config{Filter: &a, Collectors: []string{"skb"}}
	if err := c.Declare(&Config{Filter: &b, Stack: &yes}); err == nil {
		t.Fatal("conflicting filters accepted")
	}
	if c.Stack != nil || *c.Filter != "a" {
		t.Fatal("a failed Declare changed the config")
	}
	c.Extend(&Config{Filter: &b, Collectors: []string{"dev", "skb"}})
	if *c.Filter != "b" || strings.Join(c.Collectors, ",") != "skb,dev" {
		t.Fatalf("Extend: %+v", c)
	}
}

func TestParseProbeRoundTrip(t *testing.T) {
	for in, want := range map[string]string{
		"tp:net:*":                           "tp:net:*",
		"net:netif_rx":                       "tp:net:netif_rx",
		"raw_tracepoint:skb:kfree_skb/stack": "tp:skb:kfree_skb/stack",
		"ip_rcv":                             "kprobe:ip_rcv",
		"kr:tcp_v4_*":                        "kretprobe:tcp_v4_*",
	} {
		p, err := ParseProbe(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if p.String() != want {
			t.Errorf("%s -> %s, want %s", in, p, want)
		}
		q, err := ParseProbe(p.String())
		if err != nil || q != p {
			t.Errorf("%s does not read back: %v %v", p, q, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"4096": 4096, "64MB": 64e6, "16 MiB": 16 << 20, "1GiB": 1 << 30, "3KB": 3000, "7B": 7} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1", "0", "1TB", "99999999999GiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
