package profile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/retis-go/retis/builtins/collect"
	"github.com/retis-go/retis/builtins/kernel"
	"github.com/retis-go/retis/starlark"
)

var builtins = []string{"dropmon", "generic", "ifdump", "nft-dropmon", "pcap"}

// plain is a kernel that has the common tracepoints and no kprobes, like
// the development machine.
var plain = &kernel.Snapshot{
	KernelRelease: "6.18.0",
	Tracepoints:   []string{"skb:kfree_skb", "net:netif_receive_skb", "net:net_dev_start_xmit"},
	BTFTypes:      []string{"enum skb_drop_reason"},
}

func writeProfiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func probes(c *collect.Config) []string {
	var out []string
	for _, p := range c.Probes {
		out = append(out, p.String())
	}
	return out
}

func TestFindPrecedence(t *testing.T) {
	etc := writeProfiles(t, map[string]string{"dropmon.star": `"""etc dropmon."""`, "site.star": `"""etc site."""`})
	home := writeProfiles(t, map[string]string{"site.star": `"""home site."""`})
	extra := writeProfiles(t, map[string]string{"site.star": `"""-P site."""`})
	dirs := []string{etc, filepath.Join(t.TempDir(), "missing"), home, extra}

	for name, want := range map[string]string{"site": extra, "dropmon": etc, "generic": Builtin} {
		p, err := Find(name, dirs)
		if err != nil || p.Origin != want || p.Name != name {
			t.Errorf("%s: %+v %v, want origin %s", name, p, err, want)
		}
	}
	p, err := Find("site", dirs[:3])
	if err != nil || p.Origin != home {
		t.Errorf("without -P: %+v %v", p, err)
	}
	path := filepath.Join(extra, "site.star")
	if p, err := Find(path, nil); err != nil || p.Origin != path || p.Name != "site" || p.String() != path {
		t.Errorf("path: %+v %v", p, err)
	}
	_, err = Find("nope", dirs)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `no such profile "nope" (known: dropmon, generic, ifdump, nft-dropmon, pcap, site; a file works too: -p ./nope.star)`) {
		t.Errorf("not found: %v", err)
	}
	if _, err := Find("./nope.star", nil); err == nil || !strings.Contains(err.Error(), "profile ./nope.star: stat ./nope.star: no such file") {
		t.Errorf("missing path: %v", err)
	}
}

func TestListShowsWinnersWithSummaries(t *testing.T) {
	user := writeProfiles(t, map[string]string{
		"dropmon.star": "\"\"\"My drops.\n\nMore.\n\"\"\"\ncollect(collectors = [\"skb-drop\"])\n",
		"nodoc.star":   "collect(stack = True)\n",
		"notes.txt":    "not a profile",
	})
	all, err := List([]string{user})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range all {
		s, err := p.Summary()
		if err != nil {
			t.Fatal(err)
		}
		origin := p.Origin
		if origin == user {
			origin = "USER"
		}
		got = append(got, p.Name+"|"+origin+"|"+s)
	}
	want := []string{
		"dropmon|USER|My drops.",
		"generic|built-in|A broad view of the stack: the device tracepoints, plus functions across the stack where kprobes can attach.",
		"ifdump|built-in|Packets at the device boundaries: after the device on ingress, before it on egress, as AF_PACKET tools (tcpdump) see them.",
		"nft-dropmon|built-in|Packets nftables dropped, with the table, chain and rule that dropped them.",
		"nodoc|USER|",
		"pcap|built-in|What pcap export needs: the packet, device and namespace of each event; combine it with a profile that picks probes.",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("list:\n%s", strings.Join(got, "\n"))
	}
}

func TestResolveMerges(t *testing.T) {
	c, err := Resolve([]string{"dropmon,pcap", "ifdump", "pcap"}, nil, plain)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Collectors, ","); got != "skb,dev,ns,skb-drop" {
		t.Errorf("collectors %s", got)
	}
	if got := strings.Join(probes(c), " "); got != "tp:skb:kfree_skb/stack tp:net:netif_receive_skb tp:net:net_dev_start_xmit" {
		t.Errorf("probes %s", got)
	}

	dir := writeProfiles(t, map[string]string{
		"udp.star":   `collect(filter = "udp", collectors = ["skb"])`,
		"tcp.star":   `collect(filter = "tcp")`,
		"stack.star": `collect(stack = True)`,
		"same.star":  `collect(filter = "udp", stack = True)`,
		"lib/x.star": `probes = ["tp:skb:consume_skb"]`,
		"uses.star":  "load(\"lib/x.star\", \"probes\")\ncollect(probes = probes)\n",
		"bad.star":   "collect(collectors = [\"nope\"])\n",
	})
	dirs := []string{dir}
	// Equal values agree; the conflict names both profiles, not the
	// merge of everything before.
	if _, err := Resolve([]string{"udp,stack,same"}, dirs, plain); err != nil {
		t.Errorf("agreeing profiles: %v", err)
	}
	_, err = Resolve([]string{"udp", "stack", "tcp"}, dirs, plain)
	if err == nil || err.Error() != `profiles udp and tcp conflict: filter declared twice with different values: "udp", then "tcp"` {
		t.Errorf("conflict: %v", err)
	}
	c, err = Resolve([]string{"uses"}, dirs, plain)
	if err != nil || strings.Join(probes(c), " ") != "tp:skb:consume_skb" {
		t.Errorf("relative load in a profile directory: %v %v", c, err)
	}
	_, err = Resolve([]string{"ifdump,bad"}, dirs, plain)
	var report bytes.Buffer
	starlark.Report(&report, err)
	if !strings.HasPrefix(report.String(), "bad.star:1:8: collect: for parameter \"collectors\": unknown collector \"nope\"") {
		t.Errorf("profile error report:\n%s", report.String())
	}
	if _, err := Resolve([]string{"dropmon,"}, nil, plain); err == nil || err.Error() != "empty profile name" {
		t.Errorf("empty name: %v", err)
	}
}

// checkDeclared fails when a profile declared a probe the kernel it was
// resolved for does not have: conditional parts must follow the facts.
func checkDeclared(t *testing.T, name string, c *collect.Config, k kernel.Facts) {
	t.Helper()
	for _, p := range c.Probes {
		var ok bool
		var err error
		switch p.Type {
		case collect.RawTracepoint:
			ok, err = k.HasTracepoint(p.Target)
		default:
			if err = k.CanKprobe(); err == nil {
				ok, err = k.HasSymbol(p.Target)
			}
		}
		if err != nil || !ok {
			rel, _ := k.Release()
			t.Errorf("%s on %s declares %s, which the kernel lacks (%v)", name, rel, p, err)
		}
	}
}

// TestBuiltinProfilesOnKernels resolves every built-in profile, alone and
// all together, against kernel snapshots recorded from Debian's 6.1 and
// 6.12 images (kprobes, nf_tables as a module) and against the running
// kernel.
func TestBuiltinProfilesOnKernels(t *testing.T) {
	if *record != "" {
		recordSnapshots(t, *record)
	}
	snaps, err := loadSnapshots()
	if err != nil {
		t.Fatal(err)
	}
	kernels := map[string]kernel.Facts{"running kernel": kernel.NewHost()}
	for _, s := range snaps {
		kernels[s.KernelRelease] = s
	}
	all, err := List(nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range all {
		names = append(names, p.Name)
	}
	if !slices.Equal(names, builtins) {
		t.Fatalf("built-in profiles %v, want %v", names, builtins)
	}
	for kname, k := range kernels {
		for _, name := range append(builtins, strings.Join(builtins, ",")) {
			c, err := Resolve([]string{name}, nil, k)
			if err != nil {
				var b bytes.Buffer
				starlark.Report(&b, err)
				t.Fatalf("%s on %s: %s", name, kname, b.String())
			}
			if len(c.Collectors) == 0 && len(c.Probes) == 0 {
				t.Errorf("%s on %s declares nothing", name, kname)
			}
			checkDeclared(t, name, c, k)
		}
	}

	// What the conditional parts chose on the recorded kernels.
	for _, s := range snaps {
		generic, _ := Resolve([]string{"generic"}, nil, s)
		if !slices.Contains(probes(generic), "kprobe:ip_rcv") || !slices.Contains(probes(generic), "tp:net:napi_gro_frags_entry") || len(generic.Probes) != 25 {
			t.Errorf("generic on %s: %v", s.KernelRelease, probes(generic))
		}
		drop, _ := Resolve([]string{"dropmon"}, nil, s)
		if !slices.Contains(drop.Collectors, "skb-drop") {
			t.Errorf("dropmon on %s: %v", s.KernelRelease, drop.Collectors)
		}
		nft, _ := Resolve([]string{"nft-dropmon"}, nil, s)
		if got := strings.Join(probes(nft), " "); got != "tp:skb:kfree_skb/stack" || !slices.Equal(nft.NftVerdicts, []string{"drop"}) {
			t.Errorf("nft-dropmon on %s: %s", s.KernelRelease, got)
		}
	}
	noKprobes := &kernel.Snapshot{KernelRelease: "6.18.0", Tracepoints: plain.Tracepoints, Symbols: []string{"ip_rcv", "__nft_trace_packet"}}
	generic, _ := Resolve([]string{"generic"}, nil, noKprobes)
	if got := strings.Join(probes(generic), " "); got != "tp:net:netif_receive_skb tp:net:net_dev_start_xmit" {
		t.Errorf("generic without kprobes: %s", got)
	}
	drop, _ := Resolve([]string{"dropmon"}, nil, noKprobes)
	if slices.Contains(drop.Collectors, "skb-drop") {
		t.Errorf("dropmon without drop reasons: %v", drop.Collectors)
	}
	// The nft collector picks its source itself: the profile is the
	// same with kprobes.
	withKprobes := *noKprobes
	withKprobes.Kprobes = true
	nft, _ := Resolve([]string{"nft-dropmon"}, nil, &withKprobes)
	if got := strings.Join(probes(nft), " "); got != "tp:skb:kfree_skb/stack" || !slices.Contains(nft.Collectors, "nft") {
		t.Errorf("nft-dropmon with kprobes: %s %v", got, nft.Collectors)
	}
}

func recordSnapshots(t *testing.T, dir string) {
	t.Helper()
	images, err := filepath.Glob(filepath.Join(dir, "*", "vmlinux"))
	if err != nil || len(images) == 0 {
		t.Fatalf("no */vmlinux in %s (%v)", dir, err)
	}
	os.MkdirAll("testdata/kernels", 0o755)
	for _, img := range images {
		f, err := openImage(filepath.Dir(img))
		if err != nil {
			t.Fatal(err)
		}
		// Record what the profiles ask and what checkDeclared asks of
		// their probes.
		r := &recorder{Facts: f}
		for _, name := range append(builtins, strings.Join(builtins, ",")) {
			c, err := Resolve([]string{name}, nil, r)
			if err != nil {
				t.Fatal(err)
			}
			checkDeclared(t, name, c, r)
		}
		source := "recorded by `go test ./starlark/profile -record DIR` from the BTF and config of " + f.release + " (Debian linux-image); symbols are vmlinux BTF functions (no modules), tracepoints their btf_trace_ typedefs"
		if err := r.write(filepath.Join("testdata/kernels", f.release+".json"), source); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSplit(t *testing.T) {
	dir := writeProfiles(t, map[string]string{"site.star": ""})
	profiles, probes := Split([]string{"dropmon,pcap", "tp:skb:kfree_skb/stack", "ip_rcv", "site", "./x/y.star", "kr:tcp_sendmsg,generic"}, []string{dir})
	if got := strings.Join(profiles, " "); got != "dropmon pcap site ./x/y.star generic" {
		t.Errorf("profiles %s", got)
	}
	if got := strings.Join(probes, " "); got != "tp:skb:kfree_skb/stack ip_rcv kr:tcp_sendmsg" {
		t.Errorf("probes %s", got)
	}
}
