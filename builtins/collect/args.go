package collect

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
)

// Names accepted by the list-valued options, as `retis collect` accepts
// them.
var (
	CollectorNames  = []string{"auto", "skb-tracking", "skb", "skb-drop", "ovs", "nft", "ct", "dev", "ns"}
	SkbSectionNames = []string{"all", "eth", "meta", "dataref", "gso", "arp", "ip", "tcp", "udp", "icmp", "packet", "vlan", "dev", "ns"}
	NftVerdictNames = []string{"all", "continue", "break", "jump", "goto", "return", "drop", "accept", "stolen", "queue", "repeat"}
	FormatNames     = []string{"single-line", "multi-line"}
)

// DefaultOut is the events file name out=True stands for, as -o without a
// value.
const DefaultOut = "retis.data"

// nameList unpacks a list (or tuple) of strings drawn from a fixed set. A
// single string with commas is accepted too, as on the command line.
type nameList struct {
	what    string
	allowed []string
	names   []string
}

func (l *nameList) Unpack(v starlark.Value) error {
	var raw []string
	if s, ok := v.(starlark.String); ok {
		raw = strings.Split(string(s), ",")
	} else {
		it, ok := v.(starlark.Iterable)
		if !ok {
			return fmt.Errorf("want a list of %s names, got %s", l.what, v.Type())
		}
		iter := it.Iterate()
		defer iter.Done()
		var x starlark.Value
		for iter.Next(&x) {
			s, ok := starlark.AsString(x)
			if !ok {
				return fmt.Errorf("want %s names as strings, got %s", l.what, x.Type())
			}
			raw = append(raw, s)
		}
	}
	for _, n := range raw {
		n = strings.TrimSpace(n)
		if !slices.Contains(l.allowed, n) {
			return fmt.Errorf("unknown %s %q (one of %s)", l.what, n, strings.Join(l.allowed, ", "))
		}
		if !slices.Contains(l.names, n) {
			l.names = append(l.names, n)
		}
	}
	return nil
}

// probeList unpacks a list of probe specs or probe values.
type probeList struct{ specs []ProbeSpec }

func (l *probeList) Unpack(v starlark.Value) error {
	if s, ok := v.(starlark.String); ok {
		return fmt.Errorf("want a list of probes, got the string %s (write [%s])", s, s)
	}
	it, ok := v.(starlark.Iterable)
	if !ok {
		return fmt.Errorf("want a list of probes, got %s", v.Type())
	}
	iter := it.Iterate()
	defer iter.Done()
	var x starlark.Value
	for iter.Next(&x) {
		var a probeArg
		if err := a.Unpack(x); err != nil {
			return err
		}
		l.specs = append(l.specs, a.spec)
	}
	return nil
}

// optString unpacks a string into a pointer, so "not given" stays nil.
type optString struct{ p *string }

func (o *optString) Unpack(v starlark.Value) error {
	s, ok := starlark.AsString(v)
	if !ok {
		return fmt.Errorf("want a string, got %s", v.Type())
	}
	o.p = &s
	return nil
}

// optBool unpacks a bool into a pointer.
type optBool struct{ p *bool }

func (o *optBool) Unpack(v starlark.Value) error {
	b, ok := v.(starlark.Bool)
	if !ok {
		return fmt.Errorf("want True or False, got %s", v.Type())
	}
	x := bool(b)
	o.p = &x
	return nil
}

// optCount unpacks a positive integer.
type optCount struct{ p *uint64 }

func (o *optCount) Unpack(v starlark.Value) error {
	i, ok := v.(starlark.Int)
	if !ok {
		return fmt.Errorf("want an int, got %s", v.Type())
	}
	n, ok := i.Uint64()
	if !ok || n == 0 {
		return fmt.Errorf("want a positive count, got %s", i)
	}
	o.p = &n
	return nil
}

// optChoice unpacks one string of a fixed set.
type optChoice struct {
	allowed []string
	p       *string
}

func (o *optChoice) Unpack(v starlark.Value) error {
	s, ok := starlark.AsString(v)
	if !ok {
		return fmt.Errorf("want a string, got %s", v.Type())
	}
	if !slices.Contains(o.allowed, s) {
		return fmt.Errorf("unknown value %q (one of %s)", s, strings.Join(o.allowed, ", "))
	}
	o.p = &s
	return nil
}

// optOut unpacks out=: a path, or True for DefaultOut (as -o alone).
type optOut struct{ p *string }

func (o *optOut) Unpack(v starlark.Value) error {
	switch v := v.(type) {
	case starlark.Bool:
		if !v {
			return fmt.Errorf("out=False means nothing; leave out unset to not write a file")
		}
		s := DefaultOut
		o.p = &s
		return nil
	case starlark.String:
		if v == "" {
			return fmt.Errorf("empty path (use out=True for %s)", DefaultOut)
		}
		s := string(v)
		o.p = &s
		return nil
	}
	return fmt.Errorf("want a path or True, got %s", v.Type())
}

// Size unpacks a byte size: an int, or a string with a unit, "64MB",
// "16MiB" ("B", "KB", "MB", "GB" are powers of 1000, "KiB", "MiB", "GiB"
// powers of 1024).
type Size struct {
	Bytes uint64
	set   bool
}

var sizeUnits = []struct {
	suffix string
	mult   uint64
}{
	// Longest suffixes first so "MiB" is not read as "B".
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9},
	{"B", 1},
}

// Unpack implements starlark.Unpacker.
func (s *Size) Unpack(v starlark.Value) error {
	switch v := v.(type) {
	case starlark.Int:
		n, ok := v.Uint64()
		if !ok || n == 0 {
			return fmt.Errorf("want a positive size in bytes, got %s", v)
		}
		s.Bytes, s.set = n, true
		return nil
	case starlark.String:
		n, err := ParseSize(string(v))
		if err != nil {
			return err
		}
		s.Bytes, s.set = n, true
		return nil
	}
	return fmt.Errorf("want a size (int bytes or a string like \"64MB\"), got %s", v.Type())
}

func (s *Size) ptr() *uint64 {
	if !s.set {
		return nil
	}
	return &s.Bytes
}

// ParseSize reads "64MB", "16 MiB", "4096" (bytes).
func ParseSize(str string) (uint64, error) {
	t := strings.TrimSpace(str)
	mult := uint64(1)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad size %q: want a positive number with an optional unit B, KB, MB, GB, KiB, MiB or GiB", str)
	}
	if n > math.MaxUint64/mult {
		return 0, fmt.Errorf("bad size %q: too large", str)
	}
	return n * mult, nil
}
