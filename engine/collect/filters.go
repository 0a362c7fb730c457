package collect

import (
	"fmt"
	"log/slog"

	"github.com/cilium/ebpf/btf"

	"github.com/retis-go/retis/engine/filter"
)

// compileFilters turns -f and -m into a patch of the probe programs'
// filter placeholders, before anything is loaded: a bad expression fails
// the collection with nothing attached.
func compileFilters(cfg *Config, log *slog.Logger) error {
	if cfg.Filter == "" && cfg.Meta == "" {
		return nil
	}
	var types *btf.Spec
	if cfg.Meta != "" {
		var err error
		if types, err = btf.LoadKernelSpec(); err != nil {
			return fmt.Errorf("meta filter: load kernel BTF: %w", err)
		}
	}
	f, err := filter.Compile(cfg.Filter, cfg.Meta, types)
	if err != nil {
		return err
	}
	if p := f.Packet; p != nil {
		if p.L3Skipped != nil {
			log.Debug(fmt.Sprintf("Skipping L3 filter generation (%v)", p.L3Skipped))
		}
		log.Info(p.Summary())
	}
	if f.Meta != nil {
		log.Info("meta filter loaded")
	}
	cfg.Patches = append(cfg.Patches, f.Patch)
	return nil
}
