package nft

import (
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// ListenOptions configures a Listener.
type ListenOptions struct {
	// Verdicts selects the verdicts Read returns; 0 means DefaultVerdicts.
	Verdicts VerdictSet
	// ReadBuffer is the socket receive buffer in bytes; 0 means 8 MiB.
	// Every traced packet sends a few messages per chain it crosses.
	ReadBuffer int
	// KeepOwnTable returns the events of Retis_Table's own chains too.
	KeepOwnTable bool
}

const defaultReadBuffer = 8 << 20

// headersTTL is how long the headers of a trace id are kept after its last
// event: a packet crosses all its base chains well within it.
const headersTTL = 5_000_000_000

// Listener reads the nf_tables trace events of one network namespace. Its
// socket is opened inside the namespace; Read may then run on any thread.
// Read is not safe for concurrent use; Close may be called at any time.
type Listener struct {
	ns       *Namespace
	conn     *netlink.Conn
	handles  handleResolver
	links    linkNamer
	verdicts VerdictSet
	keepOwn  bool
	cookie   uint64

	headers   map[uint32]headersEntry
	lastSweep uint64

	lost   atomic.Uint64
	closed atomic.Bool
}

// handleResolver gives the handles of a table and chain by name.
type handleResolver interface {
	lookup(family uint8, table, chain string) (tableHandle, chainHandle uint64, err error)
	invalidate()
	close() error
}

// linkNamer gives a device's name by ifindex.
type linkNamer interface {
	name(ifindex uint32) string
	close()
}

// headersEntry is what only the first event of a base chain carries.
type headersEntry struct {
	h                Headers
	iif, oif         uint32
	iifType, oifType uint16
	seen             uint64
}

// Listen opens a trace listener in ns.
func Listen(ns *Namespace, opts ListenOptions) (*Listener, error) {
	if opts.Verdicts == 0 {
		opts.Verdicts = DefaultVerdicts
	}
	if opts.ReadBuffer == 0 {
		opts.ReadBuffer = defaultReadBuffer
	}
	conn, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: ns.FD()})
	if err != nil {
		return nil, fmt.Errorf("netfilter netlink in %s: %w", ns, err)
	}
	l := &Listener{
		ns:       ns,
		conn:     conn,
		verdicts: opts.Verdicts,
		keepOwn:  opts.KeepOwnTable,
		headers:  map[uint32]headersEntry{},
	}
	if err := l.setup(opts.ReadBuffer); err != nil {
		conn.Close()
		return nil, err
	}
	h, err := newHandles(ns)
	if err != nil {
		conn.Close()
		return nil, err
	}
	links, err := newLinks(ns)
	if err != nil {
		conn.Close()
		h.close()
		return nil, err
	}
	l.handles, l.links = h, links
	return l, nil
}

func (l *Listener) setup(readBuffer int) error {
	for _, g := range []uint32{unix.NFNLGRP_NFTRACE, unix.NFNLGRP_NFTABLES} {
		if err := l.conn.JoinGroup(g); err != nil {
			return fmt.Errorf("join nfnetlink group %d in %s: %w", g, l.ns, err)
		}
	}
	raw, err := l.conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("trace socket: %w", err)
	}
	var sockErr error
	err = raw.Control(func(fd uintptr) {
		// Root may exceed net.core.rmem_max; others get what it allows.
		if sockErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, readBuffer); sockErr != nil {
			sockErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, readBuffer)
		}
		// Kernels before 5.14 have no cookie: the events then carry none.
		l.cookie, _ = unix.GetsockoptUint64(int(fd), unix.SOL_SOCKET, unix.SO_NETNS_COOKIE)
	})
	if err == nil {
		err = sockErr
	}
	if err != nil {
		return fmt.Errorf("trace socket buffer: %w", err)
	}
	return nil
}

// Namespace returns the namespace the listener watches.
func (l *Listener) Namespace() *Namespace { return l.ns }

// Lost returns how many times the kernel dropped trace messages because the
// socket buffer was full.
func (l *Listener) Lost() uint64 { return l.lost.Load() }

// Close stops the listener; a blocked Read returns ErrClosed.
func (l *Listener) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	l.links.close()
	return errors.Join(l.conn.Close(), l.handles.close())
}

// Read blocks until trace events with a selected verdict arrive and returns
// them, in the order the kernel sent them. Events of Retis_Table's own
// chains and the end-of-rules markers are never returned.
func (l *Listener) Read() ([]*Trace, error) {
	for {
		msgs, err := l.conn.Receive()
		if err != nil {
			if l.closed.Load() {
				return nil, ErrClosed
			}
			if errors.Is(err, syscall.ENOBUFS) {
				l.lost.Add(1)
				continue
			}
			return nil, fmt.Errorf("read nft traces in %s: %w", l.ns, err)
		}
		now := monotonicNow()
		traces, err := l.handle(msgs, now)
		if err != nil {
			if l.closed.Load() {
				return nil, ErrClosed
			}
			return nil, err
		}
		l.sweep(now)
		if len(traces) > 0 {
			return traces, nil
		}
	}
}

// handle turns a batch of messages into selected traces.
func (l *Listener) handle(msgs []netlink.Message, now uint64) ([]*Trace, error) {
	var out []*Trace
	for _, m := range msgs {
		switch m.Header.Type & 0xff {
		case unix.NFT_MSG_NEWTABLE, unix.NFT_MSG_DELTABLE, unix.NFT_MSG_NEWCHAIN, unix.NFT_MSG_DELCHAIN:
			l.handles.invalidate()
			continue
		case unix.NFT_MSG_TRACE:
		default:
			continue
		}
		t, err := parseTrace(m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.ns, err)
		}
		t.Received, t.Netns, t.NetnsCookie = now, l.ns.Inum, l.cookie
		l.rememberHeaders(t, now)
		if !l.selected(t) {
			continue
		}
		if t.TableHandle, t.ChainHandle, err = l.handles.lookup(t.Family, t.Table, t.Chain); err != nil {
			return nil, fmt.Errorf("%s: %w", l.ns, err)
		}
		t.IifName, t.OifName = l.links.name(t.Iif), l.links.name(t.Oif)
		out = append(out, t)
	}
	return out, nil
}

// selected tells whether a trace event is to be returned.
func (l *Listener) selected(t *Trace) bool {
	if t.endOfRules() {
		return false
	}
	if !l.keepOwn && t.Family == unix.NFPROTO_INET && t.Table == TableName {
		return false
	}
	return l.verdicts.Has(t.Verdict)
}

// rememberHeaders keeps the headers of the first event of each base chain
// for the events of the same trace id that carry none.
func (l *Listener) rememberHeaders(t *Trace, now uint64) {
	if t.HeadersCarried {
		l.headers[t.ID] = headersEntry{
			h:   t.Headers,
			iif: t.Iif, oif: t.Oif, iifType: t.IifType, oifType: t.OifType,
			seen: now,
		}
		return
	}
	if e, ok := l.headers[t.ID]; ok {
		t.Headers = e.h
		t.Iif, t.Oif, t.IifType, t.OifType = e.iif, e.oif, e.iifType, e.oifType
		e.seen = now
		l.headers[t.ID] = e
	}
}

// sweep forgets the headers of trace ids not seen for headersTTL.
func (l *Listener) sweep(now uint64) {
	if now-l.lastSweep < headersTTL {
		return
	}
	l.lastSweep = now
	for id, e := range l.headers {
		if now-e.seen > headersTTL {
			delete(l.headers, id)
		}
	}
}

// monotonicNow returns CLOCK_MONOTONIC in ns, the clock of BPF timestamps.
func monotonicNow() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(fmt.Sprintf("clock_gettime(CLOCK_MONOTONIC): %v", err))
	}
	return uint64(ts.Nano())
}
