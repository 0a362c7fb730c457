package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"

	"github.com/cilium/ebpf/ringbuf"

	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

// Stats sums up a finished collection.
type Stats struct {
	// Events is the number of events written out.
	Events uint64
	// Lost is the number of events the probes could not write to the
	// ring buffer (it was full), LostByProbe the same by probe.
	Lost        uint64
	LostByProbe map[string]uint64
	// Probes lists the attached probes with their backend.
	Probes []string
	// Collectors lists the collectors that ran.
	Collectors []string
}

// Run runs a collection until ctx is done, the command exits or the event
// limit is reached, writing events to cfg.Output and to every sink. It
// returns once every probe is detached, the ring buffer drained and the
// file flushed.
func Run(ctx context.Context, cfg Config, sinks ...Sink) (*Stats, error) {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if err := checkPrivileges(); err != nil {
		return nil, err
	}
	if err := compileFilters(&cfg, log); err != nil {
		return nil, err
	}
	var force []probe.Backend
	for _, name := range cfg.Backends {
		b, err := probe.ParseBackend(name)
		if err != nil {
			return nil, err
		}
		force = append(force, b)
	}

	k := probe.HostKernel()
	sel, err := selectCollectors(&cfg, k, log)
	if err != nil {
		return nil, err
	}
	cols := sel.cols
	stats := &Stats{LostByProbe: map[string]uint64{}, Collectors: sel.names()}
	log.Info("Collector(s) started: " + strings.Join(stats.Collectors, ", "))
	for _, s := range sel.skipped {
		log.Warn(fmt.Sprintf("Collector %s not started: %v", s.Name, s.Reason))
	}

	entries, err := buildProbes(&cfg, k, cols, log)
	if err != nil {
		return nil, err
	}

	ring := ringSize(cfg.RingSize)
	consts := map[string]any{
		"collectors":    collectorMask(cols),
		"wakeup_bytes":  uint64(ring / 16),
		"track_by_addr": trackByAddr(entries),
	}
	for _, c := range cols {
		if cc, ok := c.(collector.Constants); ok {
			for n, v := range cc.Constants() {
				consts[n] = v
			}
		}
	}
	objs, err := newObjects(ring, consts, cfg.Patches, entries, log)
	if err != nil {
		return nil, err
	}
	defer objs.Close()

	rd, err := ringbuf.NewReader(objs.maps["events"])
	if err != nil {
		return nil, fmt.Errorf("open ring buffer: %w", err)
	}
	defer rd.Close()

	var file *events.Writer
	if cfg.Output != "" {
		if file, err = events.Create(cfg.Output, cfg.OutRotate); err != nil {
			return nil, err
		}
		if !file.Direct() {
			log.Debug("events file written through the page cache: its file system refuses direct I/O", "file", cfg.Output)
		}
		defer func() {
			if file != nil {
				file.Close()
			}
		}()
	}
	startup := startupEvent(cfg.Cmdline)
	if file != nil {
		if err := file.Write(startup); err != nil {
			return nil, err
		}
	}
	for _, s := range sinks {
		if err := s.Write(startup); err != nil {
			return nil, err
		}
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	st := newStacks(objs.maps["stack_map"])
	dec := newDecoder(entries, cols, st)
	p := newPipeline(dec, file, sinks, cfg.StopAfter, stop, log)
	p.wholeBatches = cfg.OutRotate == 0 && cfg.StopAfter == 0

	// The nft tables go in before the probes attach, so that the first
	// packets traced already carry the trace mark; they come out on
	// every return path, after the last packet event was joined.
	var nr *nftRun
	if sel.nft != nil {
		if nr, err = startNft(sel.nft, p.inject, p.watermark.Load, log); err != nil {
			return nil, err
		}
		defer func() {
			if nr != nil {
				nr.close()
			}
		}()
		p.packets = nr.addPacket
	}

	attached, err := attach(entries, objs, force, log)
	defer func() {
		for _, a := range attached {
			a.Close()
		}
	}()
	if err != nil {
		return nil, err
	}
	for _, a := range attached {
		stats.Probes = append(stats.Probes, fmt.Sprintf("%s (%s)", a.Target, a.Backend))
	}
	for _, e := range entries {
		// Programs load as they attach (tp_btf and fentry name their
		// target at load): read kallsyms once they are all in.
		if e.flags&flagStack != 0 {
			st.preload()
			break
		}
	}
	log.Info(fmt.Sprintf("%d probe(s) loaded", len(attached)))

	wait := p.run(rd)
	go trackingGC(runCtx, objs.maps["tracking_map"], log)

	var cmdErr error
	cmdDone := make(chan struct{})
	if cfg.Cmd != "" {
		cmd := exec.CommandContext(runCtx, "sh", "-c", cfg.Cmd)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		if err := cmd.Start(); err != nil {
			stop()
			cmdErr = fmt.Errorf("run --cmd: %w", err)
			close(cmdDone)
		} else {
			go func() {
				if err := cmd.Wait(); err != nil && runCtx.Err() == nil {
					log.Warn(fmt.Sprintf("command exited: %v", err))
				}
				stop()
				close(cmdDone)
			}()
		}
	} else {
		close(cmdDone)
	}

	<-runCtx.Done()
	// Detach first so nothing new comes in, then drain what is there.
	for _, a := range attached {
		a.Close()
	}
	attached = nil
	if err := rd.Flush(); err != nil {
		log.Warn(fmt.Sprintf("flush ring buffer: %v", err))
		rd.Close()
	}
	pipeErr := wait()
	<-cmdDone
	if nr != nil {
		// Every packet event is in: the last verdicts can be placed.
		if err := nr.close(); err != nil {
			pipeErr = errors.Join(pipeErr, err)
		}
		nr = nil
	}
	objs.closePrograms()

	stats.Events = p.processed.Load()
	lost, err := objs.lost(len(entries))
	if err != nil {
		log.Warn(err.Error())
	}
	for id, n := range lost {
		stats.Lost += n
		stats.LostByProbe[entries[id].target.String()] += n
	}
	if file != nil {
		if err := file.Close(); err != nil && pipeErr == nil {
			pipeErr = err
		}
		file = nil
	}
	log.Info(fmt.Sprintf("%d event(s) processed, %d lost", stats.Events, stats.Lost))
	if stats.Lost > 0 {
		names := make([]string, 0, len(stats.LostByProbe))
		for n := range stats.LostByProbe {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			log.Info(fmt.Sprintf("  %s: %d lost", n, stats.LostByProbe[n]))
		}
	}
	return stats, errors.Join(pipeErr, cmdErr)
}

func collectorMask(cols []collector.Collector) uint32 {
	var m uint32
	for _, c := range cols {
		m |= c.Flag()
	}
	return m
}

// attach attaches every probe; a required probe that fails is an error,
// an optional one a warning.
func attach(entries []*probeEntry, objs *objects, force []probe.Backend, log *slog.Logger) ([]*probe.Attachment, error) {
	targets := make([]*probe.Target, len(entries))
	ids := make(map[*probe.Target]uint32, len(entries))
	for i, e := range entries {
		targets[i] = e.target
		ids[e.target] = e.id
	}
	a := &probe.Attacher{Programs: objs, Force: force, Log: log, IDs: ids}
	var (
		attached []*probe.Attachment
		errs     []error
	)
	for i, r := range a.Attach(targets) {
		switch {
		case r.Err == nil:
			attached = append(attached, r.Attachment)
			log.Debug("probe attached", "probe", r.Target.String(), "backend", r.Attachment.Backend.String())
		case entries[i].optional:
			log.Warn(fmt.Sprintf("core tracking: %v", r.Err))
		default:
			errs = append(errs, r.Err)
		}
	}
	return attached, errors.Join(errs...)
}
