package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	bcollect "github.com/retis-go/retis/builtins/collect"
	"github.com/retis-go/retis/builtins/engine"
	"github.com/retis-go/retis/builtins/kernel"
	"github.com/retis-go/retis/engine/collect"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/starlark/profile"
)

func newCollectCmd() *cobra.Command {
	var (
		cfg       collect.Config
		text      textFlags
		out       string
		rotate    string
		ringSize  string
		collector []string
		pdirs     []string
		profiles  []string
	)
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Collect events from the networking stack",
		Long: `Collect events with eBPF probes and collectors, print them or store them.

Probes follow [TYPE:]TARGET[/stack]: TYPE is kprobe (k), kretprobe (kr) or
raw_tracepoint (tp); without it a TARGET with one ':' is a tracepoint, any
other a kprobe. '*' matches any run of characters (tp:net:*, kprobe:tcp_v4_*).
Without probes and collectors, tp:net:netif_receive_skb and
tp:net:net_dev_start_xmit are used. 'retis inspect' lists what this kernel
can probe.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			for _, s := range collector {
				cfg.Collectors = append(cfg.Collectors, strings.Split(s, ",")...)
			}
			// -o takes an optional value, which pflag only sees when
			// attached (-o=FILE): "-o FILE" leaves FILE as an argument.
			switch {
			case len(args) == 1 && c.Flags().Changed("out") && out == events.DefaultFile:
				cfg.Output = args[0]
			case len(args) == 1:
				return fmt.Errorf("unexpected argument %q", args[0])
			case c.Flags().Changed("out"):
				cfg.Output = out
			}
			if rotate != "" {
				n, err := collect.ParseSize(rotate)
				if err != nil {
					return fmt.Errorf("--out-rotate: %w", err)
				}
				if cfg.Output == "" {
					return fmt.Errorf("--out-rotate needs -o/--out")
				}
				cfg.OutRotate = n
			}
			if ringSize != "" {
				n, err := collect.ParseSize(ringSize)
				if err != nil {
					return fmt.Errorf("--ring-size: %w", err)
				}
				cfg.RingSize = int(n)
			}
			cfg.Format, cfg.UTC = text.format, text.utc
			if err := applyProfiles(c, &cfg, profiles, pdirs); err != nil {
				return err
			}
			cfg.Cmdline = strings.Join(os.Args, " ")
			cfg.Log = slog.Default()

			var sinks []collect.Sink
			var printer *output.Printer
			if cfg.Output == "" || cfg.Print {
				f, err := text.build(os.Stdout)
				if err != nil {
					return err
				}
				printer = output.NewPrinter(os.Stdout, &f)
				sinks = append(sinks, printerSink{printer})
			}
			ctx, stop := collect.SignalContext(c.Context())
			defer stop()
			_, err := collect.Run(ctx, cfg, sinks...)
			if printer != nil {
				if ferr := printer.Flush(); err == nil {
					err = ferr
				}
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVarP(&collector, "collectors", "c", nil, "comma-separated collectors to start: "+strings.Join(collect.CollectorNames, ", ")+" (default auto: every one this kernel supports)")
	fl.StringArrayVarP(&cfg.Probes, "probe", "p", nil, "add a probe, [TYPE:]TARGET[/stack], or a profile by name or path (repeatable, comma-separated; see 'retis profile list')")
	fl.StringArrayVarP(&pdirs, "profile-dir", "P", nil, "also look for profiles in this directory (repeatable)")
	fl.StringArrayVar(&profiles, "profile", nil, "apply a profile, by name or path (repeatable, comma-separated); 'retis -p NAME collect' gives it too")
	fl.StringVarP(&cfg.Filter, "filter-packet", "f", "", "packet filter, pcap-filter(7) syntax")
	fl.StringVarP(&cfg.Meta, "filter-meta", "m", "", "metadata filter, e.g. 'sk_buff.dev.name == \"eth0\"'")
	fl.StringVarP(&out, "out", "o", "", "write events to FILE ("+events.DefaultFile+" when -o has no value) instead of printing them")
	fl.Lookup("out").NoOptDefVal = events.DefaultFile
	fl.BoolVar(&cfg.Print, "print", false, "print events even when writing them with --out")
	fl.BoolVar(&cfg.Stack, "stack", false, "add kernel stack traces to every probe")
	fl.StringVar(&cfg.Cmd, "cmd", "", "run CMD with sh -c once probes are attached, stop when it exits")
	fl.Uint64Var(&cfg.StopAfter, "stop-after", 0, "stop after N events")
	fl.StringVar(&rotate, "out-rotate", "", "rotate the --out file past SIZE (e.g. 100M): FILE.0, FILE.1...")
	fl.StringSliceVar(&cfg.SkbSections, "skb-sections", nil, "extra skb collector sections: meta, dataref, gso or all")
	fl.StringVar(&ringSize, "ring-size", "", "ring buffer size (e.g. 64M; default 16M)")
	fl.BoolVar(&cfg.AllowSystemChanges, "allow-system-changes", false, "let collectors change the system: the nft collector adds table inet Retis_Table (removed on exit)")
	fl.StringSliceVar(&cfg.NftVerdicts, "nft-verdicts", nil, "nft verdicts that become events: accept, drop, continue, return, jump, goto, queue, stolen, repeat, break or all (default drop,accept)")
	fl.StringSliceVar(&cfg.NftNetns, "nft-netns", nil, "network namespaces whose nft verdicts are collected: a name from 'ip netns', a path, or all (retis's own and every named one); default retis's own")
	fl.StringVar(&cfg.NftSource, "nft-source", "auto", "where nft verdicts come from: auto, kprobe (the trace function) or netlink (trace notifications)")
	fl.StringSliceVar(&cfg.Backends, "probe-backend", nil, "force an attach backend per probe kind: tp_btf, raw_tp, kprobe-multi, kprobe, fentry, kretprobe, fexit")
	text.register(cmd)
	return cmd
}

// printerSink prints events as they are collected.
type printerSink struct{ p *output.Printer }

func (s printerSink) Write(e *events.Event) error { return s.p.Event(e) }

// applyProfiles resolves the --profile values and the -p values that name
// profiles: their declarations come first, and the command-line flags
// extend them (lists add up, a flag given overrides what a profile set).
func applyProfiles(c *cobra.Command, cfg *collect.Config, explicit, dirs []string) error {
	dirs = profile.DefaultDirs(dirs)
	names, probes := profile.Split(cfg.Probes, dirs)
	names = append(explicit, names...)
	cfg.Probes = probes
	if len(names) == 0 {
		return nil
	}
	decl, err := profile.Resolve(names, dirs, kernel.NewHost())
	if err != nil {
		return err
	}
	flags, err := flagDeclarations(c, cfg)
	if err != nil {
		return err
	}
	decl.Extend(flags)
	base := engine.CollectConfig(decl)
	base.Backends, base.Patches = cfg.Backends, cfg.Patches
	base.NftNetns, base.NftSource = cfg.NftNetns, cfg.NftSource
	*cfg = base
	return nil
}

// flagDeclarations gives the flags the user set as declarations.
func flagDeclarations(c *cobra.Command, cfg *collect.Config) (*bcollect.Config, error) {
	d := &bcollect.Config{Collectors: cfg.Collectors, SkbSections: cfg.SkbSections, NftVerdicts: cfg.NftVerdicts}
	for _, p := range cfg.Probes {
		spec, err := bcollect.ParseProbe(p)
		if err != nil {
			return nil, err
		}
		d.Probes = append(d.Probes, spec)
	}
	changed := c.Flags().Changed
	if changed("filter-packet") {
		d.Filter = &cfg.Filter
	}
	if changed("filter-meta") {
		d.Meta = &cfg.Meta
	}
	if changed("stack") {
		d.Stack = &cfg.Stack
	}
	if changed("out") || cfg.Output != "" {
		d.Out = &cfg.Output
	}
	if changed("out-rotate") {
		n := uint64(cfg.OutRotate)
		d.OutRotate = &n
	}
	if changed("print") {
		d.Print = &cfg.Print
	}
	if changed("format") {
		d.Format = &cfg.Format
	}
	if changed("utc") {
		d.UTC = &cfg.UTC
	}
	if changed("cmd") {
		d.Cmd = &cfg.Cmd
	}
	if changed("stop-after") {
		d.StopAfter = &cfg.StopAfter
	}
	if changed("allow-system-changes") {
		d.AllowSystemChanges = &cfg.AllowSystemChanges
	}
	if changed("ring-size") {
		n := uint64(cfg.RingSize)
		d.RingSize = &n
	}
	return d, nil
}
