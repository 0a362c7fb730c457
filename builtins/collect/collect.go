package collect

import (
	"fmt"
	"path/filepath"

	"go.starlark.net/starlark"

	"github.com/retis-go/retis/builtins"
)

var declared = builtins.NewState[Config]("retis.collect.config")

// SetDeclared stores the config that declarations made on thread go into.
// Without one, collect(), probe() and output() fail.
func SetDeclared(thread *starlark.Thread, c *Config) { declared.Set(thread, c) }

// Declared returns the config stored with SetDeclared, or nil.
func Declared(thread *starlark.Thread) *Config { return declared.Get(thread) }

// Predeclared returns collect, probe and output.
func Predeclared() starlark.StringDict {
	return starlark.StringDict{
		"collect": starlark.NewBuiltin("collect", collectFn),
		"probe":   starlark.NewBuiltin("probe", probeFn),
		"output":  starlark.NewBuiltin("output", outputFn),
	}
}

// target returns the config declarations go to, refusing them once main
// runs: what to collect is fixed before the first event.
func target(thread *starlark.Thread, b *starlark.Builtin) (*Config, error) {
	if builtins.PhaseOf(thread) != builtins.PhaseLoad {
		return nil, fmt.Errorf("%s: declarations are made while the script loads, not from main(ctx)", b.Name())
	}
	c := Declared(thread)
	if c == nil {
		return nil, fmt.Errorf("%s: this program does not take declarations here", b.Name())
	}
	return c, nil
}

func collectFn(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) > 0 {
		return nil, fmt.Errorf("%s: takes keyword arguments only (e.g. collect(collectors = [\"skb\"]))", b.Name())
	}
	var (
		collectors  = nameList{what: "collector", allowed: CollectorNames}
		skbSections = nameList{what: "skb section", allowed: SkbSectionNames}
		verdicts    = nameList{what: "nft verdict", allowed: NftVerdictNames}
		format      = optChoice{allowed: FormatNames}
		probes      probeList
		filter      optString
		meta        optString
		cmd         optString
		kconf       optString
		out         optOut
		stack       optBool
		probeStack  optBool
		print       optBool
		printLL     optBool
		utc         optBool
		allowSys    optBool
		ovsTrack    optBool
		ovsEnrich   optBool
		stopAfter   optCount
		enrichRate  optCount
		outRotate   Size
		ringSize    Size
	)
	if err := starlark.UnpackArgs(b.Name(), nil, kwargs,
		"collectors??", &collectors,
		"probes??", &probes,
		"filter??", &filter,
		"meta??", &meta,
		"stack??", &stack,
		"probe_stack??", &probeStack,
		"out??", &out,
		"out_rotate??", &outRotate,
		"print??", &print,
		"print_ll??", &printLL,
		"format??", &format,
		"utc??", &utc,
		"cmd??", &cmd,
		"stop_after??", &stopAfter,
		"skb_sections??", &skbSections,
		"ring_size??", &ringSize,
		"allow_system_changes??", &allowSys,
		"nft_verdicts??", &verdicts,
		"ovs_track??", &ovsTrack,
		"ovs_enrich_flows??", &ovsEnrich,
		"ovs_enrich_rate??", &enrichRate,
		"kconf??", &kconf,
	); err != nil {
		return nil, err
	}
	if filter.p != nil && *filter.p == "" {
		return nil, fmt.Errorf("%s: filter: empty pcap-filter expression", b.Name())
	}
	if meta.p != nil && *meta.p == "" {
		return nil, fmt.Errorf("%s: meta: empty meta filter", b.Name())
	}
	c, err := target(thread, b)
	if err != nil {
		return nil, err
	}
	if err := c.Declare(&Config{
		Collectors:         collectors.names,
		Probes:             probes.specs,
		Filter:             filter.p,
		Meta:               meta.p,
		Stack:              stack.p,
		ProbeStack:         probeStack.p,
		Out:                out.p,
		OutRotate:          outRotate.ptr(),
		Print:              print.p,
		PrintLL:            printLL.p,
		Format:             format.p,
		UTC:                utc.p,
		Cmd:                cmd.p,
		StopAfter:          stopAfter.p,
		SkbSections:        skbSections.names,
		RingSize:           ringSize.ptr(),
		AllowSystemChanges: allowSys.p,
		NftVerdicts:        verdicts.names,
		OvsTrack:           ovsTrack.p,
		OvsEnrichFlows:     ovsEnrich.p,
		OvsEnrichRate:      enrichRate.p,
		Kconf:              kconf.p,
	}); err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	return starlark.None, nil
}

func probeFn(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var (
		spec  probeArg
		stack bool
	)
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "spec", &spec, "stack??", &stack); err != nil {
		return nil, err
	}
	c, err := target(thread, b)
	if err != nil {
		return nil, err
	}
	p := spec.spec
	p.Stack = p.Stack || stack
	c.addProbe(p)
	return &Probe{Spec: p}, nil
}

func outputFn(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &path); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("%s: empty path", b.Name())
	}
	c, err := target(thread, b)
	if err != nil {
		return nil, err
	}
	c.Outputs = union(c.Outputs, []string{filepath.Clean(path)})
	return starlark.String(path), nil
}
