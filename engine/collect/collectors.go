package collect

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/collector/ct"
	"github.com/retis-go/retis/engine/collector/dev"
	"github.com/retis-go/retis/engine/collector/nft"
	"github.com/retis-go/retis/engine/collector/ns"
	"github.com/retis-go/retis/engine/collector/skb"
	"github.com/retis-go/retis/engine/collector/skbdrop"
	"github.com/retis-go/retis/engine/collector/skbtracking"
	"github.com/retis-go/retis/engine/probe"
)

// CollectorNames lists the collectors this build has, in the order they
// are started.
var CollectorNames = []string{skbtracking.Name, skb.Name, skbdrop.Name, dev.Name, ns.Name, ct.Name, NftName}

func newCollector(name string, cfg *Config) (collector.Collector, error) {
	switch name {
	case skbtracking.Name:
		return skbtracking.New(), nil
	case skb.Name:
		return skb.New(cfg.SkbSections)
	case skbdrop.Name:
		return skbdrop.New(), nil
	case dev.Name:
		return dev.New(), nil
	case ns.Name:
		return ns.New(), nil
	case ct.Name:
		return ct.New(), nil
	}
	return nil, fmt.Errorf("unknown collector %q (known: %s)", name, strings.Join(CollectorNames, ", "))
}

// autoCollectors reports whether the collectors are left to -c auto.
func autoCollectors(cfg *Config) bool {
	return len(cfg.Collectors) == 0 || len(cfg.Collectors) == 1 && cfg.Collectors[0] == "auto"
}

// Skipped is a collector -c auto left out, and why.
type Skipped struct {
	Name   string
	Reason error
}

// errNeedsSystemChanges is why -c auto leaves the nft collector out
// without --allow-system-changes (asked for by name, the collector says
// more).
var errNeedsSystemChanges = errors.New("needs --allow-system-changes (it adds table inet " + nft.TableName + ")")

// selection is what selectCollectors starts.
type selection struct {
	cols    []collector.Collector
	skipped []Skipped
	// nft is the nft collector's plan, nil when it does not run.
	nft *nftPlan
}

// names lists the collectors that run.
func (s *selection) names() []string {
	var out []string
	for _, c := range s.cols {
		out = append(out, c.Name())
	}
	if s.nft != nil && s.nft.kprobe == nil {
		out = append(out, NftName)
	}
	return out
}

// selectCollectors starts the requested collectors. With "auto" (or none
// given) it starts every collector whose requirements hold and returns
// the others; an explicitly requested collector that cannot run is an
// error.
func selectCollectors(cfg *Config, k probe.Kernel, log *slog.Logger) (*selection, error) {
	names := cfg.Collectors
	auto := autoCollectors(cfg)
	if auto {
		names = CollectorNames
	}
	var (
		out     []collector.Collector
		skipped []Skipped
		plan    *nftPlan
		seen    = map[string]bool{}
	)
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "auto" {
			return nil, fmt.Errorf("collector \"auto\" cannot be combined with others")
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		if name == NftName {
			var err error
			if auto && !cfg.AllowSystemChanges {
				skipped = append(skipped, Skipped{name, errNeedsSystemChanges})
				continue
			}
			if plan, err = planNft(cfg, k, log); err != nil {
				if auto {
					skipped = append(skipped, Skipped{name, err})
					continue
				}
				return nil, fmt.Errorf("collector %s cannot run: %w", name, err)
			}
			if plan.kprobe != nil {
				out = append(out, plan.kprobe)
			}
			continue
		}
		c, err := newCollector(name, cfg)
		if err != nil {
			return nil, err
		}
		if err := c.Init(k); err != nil {
			if auto {
				skipped = append(skipped, Skipped{name, err})
				continue
			}
			return nil, fmt.Errorf("collector %s cannot run: %w", name, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 && plan == nil {
		return nil, fmt.Errorf("no collector can run on this kernel")
	}
	return &selection{cols: out, skipped: skipped, nft: plan}, nil
}
