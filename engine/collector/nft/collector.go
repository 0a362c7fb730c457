package nft

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// Config is the nft collector's configuration, from the command line.
type Config struct {
	// AllowSystemChanges is --allow-system-changes: without it the
	// collector refuses to start, since it must add a table.
	AllowSystemChanges bool
	// Verdicts is --nft-verdicts; 0 means DefaultVerdicts.
	Verdicts VerdictSet
	// Netns lists the --nft-netns values: names, paths or "all"; empty
	// means the namespace retis runs in.
	Netns []string
	// ReadBuffer is each trace socket's receive buffer; 0 means 8 MiB.
	ReadBuffer int
	// TablesOnly installs marker tables (InstallMarkerTable) and reads
	// no trace notification: the kprobe source gets the verdicts from the
	// trace function, which only needs the kernel's trace path on.
	TablesOnly bool
	// Logger receives warnings (stale table replaced, lost traces); nil
	// means slog.Default().
	Logger *slog.Logger
}

// traceQueue is the depth of the channel Traces returns; past it the
// listeners stop reading and the kernel drops (and counts) trace messages.
const traceQueue = 4096

// Collector runs the netlink source: Retis_Table and a trace listener in
// each watched namespace.
type Collector struct {
	cfg        Config
	log        *slog.Logger
	namespaces []*Namespace
	listeners  []*Listener
	tables     []*Table
	traces     chan *Trace
	done       chan struct{}
	wg         sync.WaitGroup
	closeOnce  sync.Once
	closeErr   error
}

// New checks the configuration and that the kernel can trace; it changes
// nothing on the system.
func New(cfg Config) (*Collector, error) {
	if !cfg.AllowSystemChanges {
		return nil, ErrSystemChangesNotAllowed
	}
	if cfg.Verdicts == 0 {
		cfg.Verdicts = DefaultVerdicts
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := HaveNftTrace(); err != nil {
		return nil, fmt.Errorf("nft collector: %w", err)
	}
	return &Collector{
		cfg:    cfg,
		log:    cfg.Logger,
		traces: make(chan *Trace, traceQueue),
		done:   make(chan struct{}),
	}, nil
}

// Start opens the namespaces, a listener in each, then installs
// Retis_Table in each (listening first, so that no verdict of a traced
// packet is missed). On error, what was done is undone.
func (c *Collector) Start() error {
	var err error
	if c.namespaces, err = OpenNamespaces(c.cfg.Netns); err != nil {
		return fmt.Errorf("nft collector: %w", err)
	}
	if err := c.start(); err != nil {
		return errors.Join(fmt.Errorf("nft collector: %w", err), c.Close())
	}
	return nil
}

func (c *Collector) start() error {
	for _, ns := range c.namespaces {
		if c.cfg.TablesOnly {
			break
		}
		l, err := Listen(ns, ListenOptions{Verdicts: c.cfg.Verdicts, ReadBuffer: c.cfg.ReadBuffer})
		if err != nil {
			return err
		}
		c.listeners = append(c.listeners, l)
	}
	for _, ns := range c.namespaces {
		install := InstallTable
		if c.cfg.TablesOnly {
			install = InstallMarkerTable
		}
		t, err := install(ns, c.log)
		if err != nil {
			return err
		}
		c.tables = append(c.tables, t)
	}
	for _, l := range c.listeners {
		c.wg.Add(1)
		go c.read(l)
	}
	return nil
}

// Namespaces returns the watched namespaces.
func (c *Collector) Namespaces() []*Namespace { return c.namespaces }

// read forwards a listener's traces until it is closed.
func (c *Collector) read(l *Listener) {
	defer c.wg.Done()
	for {
		traces, err := l.Read()
		if errors.Is(err, ErrClosed) {
			return
		}
		if err != nil {
			c.log.Error("nft trace listener stopped", "netns", l.Namespace().String(), "err", err)
			return
		}
		for _, t := range traces {
			select {
			case c.traces <- t:
			case <-c.done:
				return
			}
		}
	}
}

// Traces returns the selected verdicts of all watched namespaces. It is
// closed once Close has stopped the listeners.
func (c *Collector) Traces() <-chan *Trace { return c.traces }

// Lost returns how many times trace messages were dropped by the kernel
// because a listener fell behind.
func (c *Collector) Lost() uint64 {
	var n uint64
	for _, l := range c.listeners {
		n += l.Lost()
	}
	return n
}

// Close removes Retis_Table from every namespace, stops the listeners and
// closes Traces. It may be called more than once, from any goroutine (e.g.
// a signal handler's); later calls return the first one's result.
func (c *Collector) Close() error {
	c.closeOnce.Do(func() {
		var errs []error
		for _, t := range c.tables {
			errs = append(errs, t.Remove())
		}
		close(c.done)
		for _, l := range c.listeners {
			errs = append(errs, l.Close())
		}
		c.wg.Wait()
		close(c.traces)
		if n := c.Lost(); n > 0 {
			c.log.Warn("nft trace messages lost: listeners fell behind", "times", n)
		}
		closeAll(c.namespaces)
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}
