package collect

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Config is everything declared about a collection. Lists are empty and
// pointers nil when nothing was declared, so the command can tell a
// declared false or zero from a default.
type Config struct {
	// Collectors (-c): names from CollectorNames, or "auto".
	Collectors []string
	// Probes (-p), deduplicated by type and target.
	Probes []ProbeSpec
	// Filter (-f) is a pcap-filter expression.
	Filter *string
	// Meta (-m) is a meta filter on sk_buff fields.
	Meta *string
	// Stack (--stack) adds stack traces to every probe.
	Stack *bool
	// ProbeStack (--probe-stack) adds probes found in stack traces.
	ProbeStack *bool
	// Out (-o) is the events file.
	Out *string
	// OutRotate (--out-rotate) is the size in bytes at which the events
	// file rotates.
	OutRotate *uint64
	// Print (--print) prints events while writing them to Out.
	Print *bool
	// PrintLL (-e) prints link-layer information.
	PrintLL *bool
	// Format (--format) is "single-line" or "multi-line".
	Format *string
	// UTC (--utc) prints times in UTC.
	UTC *bool
	// Cmd (--cmd) is run through sh -c once probes are attached.
	Cmd *string
	// StopAfter (--stop-after) stops after that many events.
	StopAfter *uint64
	// SkbSections (--skb-sections): names from SkbSectionNames.
	SkbSections []string
	// RingSize (--ring-size) is the ring buffer size in bytes.
	RingSize *uint64
	// AllowSystemChanges (--allow-system-changes).
	AllowSystemChanges *bool
	// NftVerdicts (--nft-verdicts): names from NftVerdictNames.
	NftVerdicts []string
	// OvsTrack (--ovs-track) enables OvS upcall tracking.
	OvsTrack *bool
	// OvsEnrichFlows (--ovs-enrich-flows).
	OvsEnrichFlows *bool
	// OvsEnrichRate (--ovs-enrich-rate) in requests per second.
	OvsEnrichRate *uint64
	// Kconf (--kconf) is the path to the kernel configuration.
	Kconf *string

	// Outputs are the files main(ctx) declared it writes (output()).
	Outputs []string
}

// Declare adds o to c the way a script's successive declarations do:
// lists are merged, scalars set in both must be equal. It is also how
// profiles given together (-p a,b) combine. On a conflict c is unchanged.
func (c *Config) Declare(o *Config) error {
	if err := c.conflict(o); err != nil {
		return err
	}
	c.Extend(o)
	return nil
}

// Extend adds o to c with o winning on scalars: command-line flags extend
// a profile and override what it set.
func (c *Config) Extend(o *Config) {
	c.Collectors = union(c.Collectors, o.Collectors)
	for _, p := range o.Probes {
		c.addProbe(p)
	}
	c.SkbSections = union(c.SkbSections, o.SkbSections)
	c.NftVerdicts = union(c.NftVerdicts, o.NftVerdicts)
	c.Outputs = union(c.Outputs, o.Outputs)
	set(&c.Filter, o.Filter)
	set(&c.Meta, o.Meta)
	set(&c.Stack, o.Stack)
	set(&c.ProbeStack, o.ProbeStack)
	set(&c.Out, o.Out)
	set(&c.OutRotate, o.OutRotate)
	set(&c.Print, o.Print)
	set(&c.PrintLL, o.PrintLL)
	set(&c.Format, o.Format)
	set(&c.UTC, o.UTC)
	set(&c.Cmd, o.Cmd)
	set(&c.StopAfter, o.StopAfter)
	set(&c.RingSize, o.RingSize)
	set(&c.AllowSystemChanges, o.AllowSystemChanges)
	set(&c.OvsTrack, o.OvsTrack)
	set(&c.OvsEnrichFlows, o.OvsEnrichFlows)
	set(&c.OvsEnrichRate, o.OvsEnrichRate)
	set(&c.Kconf, o.Kconf)
}

// conflict reports every scalar that c and o both set, differently.
func (c *Config) conflict(o *Config) error {
	return errors.Join(
		differ("filter", c.Filter, o.Filter),
		differ("meta", c.Meta, o.Meta),
		differ("stack", c.Stack, o.Stack),
		differ("probe_stack", c.ProbeStack, o.ProbeStack),
		differ("out", c.Out, o.Out),
		differ("out_rotate", c.OutRotate, o.OutRotate),
		differ("print", c.Print, o.Print),
		differ("print_ll", c.PrintLL, o.PrintLL),
		differ("format", c.Format, o.Format),
		differ("utc", c.UTC, o.UTC),
		differ("cmd", c.Cmd, o.Cmd),
		differ("stop_after", c.StopAfter, o.StopAfter),
		differ("ring_size", c.RingSize, o.RingSize),
		differ("allow_system_changes", c.AllowSystemChanges, o.AllowSystemChanges),
		differ("ovs_track", c.OvsTrack, o.OvsTrack),
		differ("ovs_enrich_flows", c.OvsEnrichFlows, o.OvsEnrichFlows),
		differ("ovs_enrich_rate", c.OvsEnrichRate, o.OvsEnrichRate),
		differ("kconf", c.Kconf, o.Kconf),
	)
}

// addProbe adds p unless a probe on the same type and target is there, in
// which case a stack request carries over (as a collector's own probe
// merges with the same probe given by hand).
func (c *Config) addProbe(p ProbeSpec) {
	for i := range c.Probes {
		if c.Probes[i].Type == p.Type && c.Probes[i].Target == p.Target {
			c.Probes[i].Stack = c.Probes[i].Stack || p.Stack
			return
		}
	}
	c.Probes = append(c.Probes, p)
}

func differ[T comparable](name string, a, b *T) error {
	if a != nil && b != nil && *a != *b {
		return fmt.Errorf("%s declared twice with different values: %s, then %s", name, show(*a), show(*b))
	}
	return nil
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

func set[T any](dst **T, src *T) {
	if src != nil {
		v := *src
		*dst = &v
	}
}

func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}
