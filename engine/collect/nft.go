package collect

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cilium/ebpf"

	"github.com/retis-go/retis/engine/collector/nft"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/filter/cbpf"
	"github.com/retis-go/retis/engine/probe"
)

// NftName is the nft collector's name for -c.
const NftName = "nft"

// Values of Config.NftSource.
const (
	NftSourceAuto    = "auto"
	NftSourceKprobe  = string(nft.SourceKprobe)
	NftSourceNetlink = string(nft.SourceNetlink)
)

// nftJoinTick is how often joined verdicts are flushed to the output.
const nftJoinTick = 10 * time.Millisecond

// nftPlan is the nft collector of a collection once its configuration has
// been checked; nothing is installed yet.
type nftPlan struct {
	cfg    nft.Config
	source nft.Source
	// filter (-f) and meta (-m given) select packets: a verdict that
	// joins no packet event may belong to a rejected one.
	filter string
	meta   bool
	// kprobe is the collector of the kprobe source, nil with netlink.
	kprobe *nft.KprobeCollector
}

// planNft checks what the nft collector needs: --allow-system-changes, the
// verdict list, and a source this kernel offers.
func planNft(cfg *Config, k probe.Kernel, log *slog.Logger) (*nftPlan, error) {
	p := &nftPlan{filter: cfg.Filter, meta: cfg.Meta != ""}
	p.cfg = nft.Config{
		AllowSystemChanges: cfg.AllowSystemChanges,
		Netns:              cfg.NftNetns,
		Logger:             log,
	}
	if !cfg.AllowSystemChanges {
		return nil, nft.ErrSystemChangesNotAllowed
	}
	if len(cfg.NftVerdicts) > 0 {
		v, err := nft.ParseVerdicts(strings.Join(cfg.NftVerdicts, ","))
		if err != nil {
			return nil, fmt.Errorf("--nft-verdicts: %w", err)
		}
		p.cfg.Verdicts = v
	}
	in := nft.Inspect()
	want := cfg.NftSource
	switch want {
	case "", NftSourceAuto:
		if in.InUse == "" {
			return nil, fmt.Errorf("%w: %s", ebpf.ErrNotSupported, in)
		}
		p.source = in.InUse
	case NftSourceKprobe, NftSourceNetlink:
		for _, s := range in.Sources {
			if string(s.Source) == want && s.Err != nil {
				return nil, fmt.Errorf("nft source %s: %w", want, s.Err)
			}
		}
		p.source = nft.Source(want)
	default:
		return nil, fmt.Errorf("unknown nft source %q (auto, %s or %s)", want, NftSourceKprobe, NftSourceNetlink)
	}
	if p.source == nft.SourceKprobe {
		// The verdicts come from the probe; the tables only turn the
		// kernel's verdict tracing on.
		p.cfg.TablesOnly = true
		p.kprobe = nft.NewKprobe(p.cfg.Verdicts)
		if err := p.kprobe.Init(k); err != nil {
			return nil, fmt.Errorf("nft source %s: %w", p.source, err)
		}
	}
	return p, nil
}

// nftRun is a running nft collector: its tables and, with the netlink
// source, the listeners and the Joiner that places their verdicts.
type nftRun struct {
	col    *nft.Collector
	joiner *nft.Joiner
	log    *slog.Logger
	done   chan struct{}
	// unregister removes the forced-exit cleanup.
	unregister func()
	closeOnce  sync.Once
	closeErr   error
}

// startNft installs the tables and starts the listeners; emit receives
// the joined verdict events, from one goroutine, until close. added tells
// up to which time every packet event has been given to addPacket.
func startNft(plan *nftPlan, emit func(*events.Event), added func() uint64, log *slog.Logger) (*nftRun, error) {
	opts := nft.JoinOptions{Clock: added}
	switch {
	case plan.meta:
		// A verdict without its packet's skb cannot be checked against
		// the metadata filter: show only those joined to a collected
		// (hence matching) packet.
		opts.Unmatched = func(*events.Event) bool { return false }
	case plan.filter != "":
		m, err := cbpf.NewPacketMatcher(plan.filter)
		if err != nil {
			return nil, fmt.Errorf("nft collector: packet filter: %w", err)
		}
		opts.Unmatched = m.Match
	}
	col, err := nft.New(plan.cfg)
	if err != nil {
		return nil, err
	}
	if err := col.Start(); err != nil {
		return nil, err
	}
	r := &nftRun{col: col, log: log, done: make(chan struct{})}
	// A second Ctrl-C exits at once: the tables must still go.
	r.unregister = onForcedExit(func() { col.Close() })
	var names []string
	for _, ns := range col.Namespaces() {
		names = append(names, ns.String())
		opts.Namespaces = append(opts.Namespaces, ns.Inum)
	}
	log.Info(fmt.Sprintf("nft collector: source %s, table inet %s added in %s", plan.source, nft.TableName, strings.Join(names, ", ")))
	if plan.source != nft.SourceNetlink {
		close(r.done)
		return r, nil
	}
	r.joiner = nft.NewJoiner(opts)
	go func() {
		defer close(r.done)
		// Not the collection's context: verdicts still queued when it
		// stops wait for the packet events drained after it, and Run
		// ends when close closes the traces.
		r.joiner.Run(context.Background(), col.Traces(), nftJoinTick, emit)
	}()
	return r, nil
}

// addPacket gives the Joiner an skb event to place verdicts by.
func (r *nftRun) addPacket(e *events.Event) {
	if r.joiner != nil {
		r.joiner.AddPacket(e)
	}
}

// close removes the tables, stops the listeners and waits for the last
// verdicts to be emitted. Call it once no more packet events come.
func (r *nftRun) close() error {
	r.closeOnce.Do(func() {
		r.closeErr = r.col.Close()
		<-r.done
		r.unregister()
		if r.joiner != nil {
			s := r.joiner.Stats()
			r.log.Info(fmt.Sprintf("nft collector: %d verdict(s) joined to their packet, %d alone (%d without headers), %d hidden by filters",
				s.Matched, s.Unmatched, s.Headless, s.Hidden))
		}
		if r.closeErr == nil {
			r.log.Info(fmt.Sprintf("nft collector: table inet %s removed", nft.TableName))
		}
	})
	return r.closeErr
}
