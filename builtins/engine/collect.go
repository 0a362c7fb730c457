package engine

import (
	"github.com/retis-go/retis/builtins/collect"
	ecollect "github.com/retis-go/retis/engine/collect"
)

// CollectConfig turns declarations (a script's or profiles', extended by
// command-line flags) into the engine's collection config. Fields the
// engine fills itself (Cmdline, Log, Patches, Backends) are left to the
// caller.
func CollectConfig(d *collect.Config) ecollect.Config {
	c := ecollect.Config{
		Collectors:  append([]string(nil), d.Collectors...),
		SkbSections: append([]string(nil), d.SkbSections...),
		NftVerdicts: append([]string(nil), d.NftVerdicts...),
	}
	for _, p := range d.Probes {
		c.Probes = append(c.Probes, p.String())
	}
	val(&c.Filter, d.Filter)
	val(&c.Meta, d.Meta)
	val(&c.Stack, d.Stack)
	val(&c.Output, d.Out)
	val(&c.Print, d.Print)
	val(&c.Format, d.Format)
	val(&c.UTC, d.UTC)
	val(&c.Cmd, d.Cmd)
	val(&c.StopAfter, d.StopAfter)
	val(&c.AllowSystemChanges, d.AllowSystemChanges)
	if d.OutRotate != nil {
		c.OutRotate = int64(*d.OutRotate)
	}
	if d.RingSize != nil {
		c.RingSize = int(*d.RingSize)
	}
	return c
}

func val[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
