package pcapng

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/retis-go/retis/engine/events"
)

var (
	// ErrNoPacket is returned by Close when no event had a packet section.
	ErrNoPacket = errors.New("no event with a packet section")
	// ErrProbeNotFound is returned by Close when no event came from the
	// selected probe.
	ErrProbeNotFound = errors.New("probe not found in the events")
)

// Options tune a Writer.
type Options struct {
	// Probe selects the events of one probe, as [TYPE:]TARGET (e.g.
	// tp:net:netif_receive_skb, kr:ovs_dp_upcall); "" selects all.
	Probe string
	// Comment renders an event as the text of its packet's comment; nil
	// writes no comment. Trailing newlines are dropped.
	Comment func(e *events.Event) string
	// Warn receives the summary of skipped events; nil means slog.Warn.
	Warn func(msg string)
	// Match selects events (e.g. a pcap-filter run after collection);
	// nil selects all.
	Match func(e *events.Event) bool
}

// Stats counts what a Writer did with the events it was given.
type Stats struct {
	// Packets is the number of packets written.
	Packets int
	// NoPacket counts events of the selected probes without a packet
	// section (skipped).
	NoPacket int
	// OtherProbe counts events of other probes, or of no kernel probe
	// (skipped).
	OtherProbe int
	// Unmatched counts packets Options.Match left out.
	Unmatched int
	// Interfaces is the number of interfaces (probes) written.
	Interfaces int
}

// Writer writes events as pcap-ng as they come. Nothing is written until
// the first packet, so an export that finds none leaves the output empty.
type Writer struct {
	out     *bufio.Writer
	opts    Options
	filter  *probeFilter
	offset  int64 // monotonic to wall-clock, ns
	schema  []byte
	started bool
	ifaces  map[string]uint32
	// probes lists the probes with packets seen, for the error when the
	// selected one is not among them.
	probes map[string]struct{}
	stats  Stats
	// jsonTooLong counts events whose JSON did not fit an option.
	jsonTooLong int
	haveOffset  bool
	buf, js     []byte
}

// NewWriter returns a Writer on w. startup gives the clock offset that
// turns event timestamps into wall-clock time; it may be nil, then a
// startup event passed to Write sets it (else timestamps stay monotonic).
func NewWriter(w io.Writer, startup *events.Startup, opts Options) (*Writer, error) {
	pw := &Writer{
		out:    bufio.NewWriterSize(w, 64<<10),
		opts:   opts,
		ifaces: map[string]uint32{},
		probes: map[string]struct{}{},
	}
	if pw.opts.Warn == nil {
		pw.opts.Warn = func(m string) { slog.Warn(m) }
	}
	if opts.Probe != "" {
		f, err := parseProbe(opts.Probe)
		if err != nil {
			return nil, err
		}
		pw.filter = f
	}
	if startup != nil {
		pw.offset, pw.haveOffset = startup.ClockMonotonicOffset.Nanos(), true
	}
	schema, err := events.Schema()
	if err != nil {
		return nil, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, schema); err != nil {
		return nil, fmt.Errorf("compact event schema: %w", err)
	}
	pw.schema = compact.Bytes()
	return pw, nil
}

// Write adds the packet of an event, if it has one and comes from the
// selected probe; other events are counted and skipped. A startup event
// sets the clock offset when NewWriter was given none.
func (w *Writer) Write(e *events.Event) error {
	if e.Startup != nil {
		if !w.haveOffset {
			w.offset, w.haveOffset = e.Startup.ClockMonotonicOffset.Nanos(), true
		}
		return nil
	}
	k := e.Kernel
	if k == nil {
		w.stats.OtherProbe++
		return nil
	}
	if e.Packet != nil {
		w.probes[probeName(k)] = struct{}{}
	}
	if w.filter != nil && !w.filter.match(k) {
		w.stats.OtherProbe++
		return nil
	}
	if e.Packet == nil {
		w.stats.NoPacket++
		return nil
	}
	if w.opts.Match != nil && !w.opts.Match(e) {
		w.stats.Unmatched++
		return nil
	}
	if e.Common == nil {
		return fmt.Errorf("event of probe %s has no common section: its packet cannot be timestamped", probeName(k))
	}

	b := w.buf[:0]
	if !w.started {
		w.started = true
		b = appendSectionHeader(b)
		b = appendCustomBlock(b, w.schema)
	}
	name := interfaceName(k)
	id, ok := w.ifaces[name]
	if !ok {
		id = uint32(len(w.ifaces))
		w.ifaces[name] = id
		// Retis's wording, so that captures read the same in Wireshark.
		b = appendInterface(b, name, "Fake interface for probe "+name)
	}

	p := packet{
		iface:   id,
		ts:      uint64(int64(e.Common.Timestamp) + w.offset),
		origLen: e.Packet.Len,
		data:    e.Packet.Data,
	}
	// A capture longer than the packet cannot be; readers refuse it.
	if int(p.origLen) < len(p.data) {
		p.origLen = uint32(len(p.data))
	}
	if w.opts.Comment != nil {
		p.comment = strings.TrimRight(w.opts.Comment(e), "\n")
	}
	// The rest of the event rides along as JSON; the packet is in the
	// block already.
	rest := *e
	rest.Packet = nil
	js, err := rest.AppendJSON(w.js[:0])
	if err != nil {
		return fmt.Errorf("encode event of probe %s: %w", probeName(k), err)
	}
	w.js = js
	if len(js) <= maxCustomOptionPayload {
		p.json = js
	} else {
		w.jsonTooLong++
	}
	b = appendPacket(b, &p)

	w.buf = b
	if _, err := w.out.Write(b); err != nil {
		return fmt.Errorf("write pcap-ng: %w", err)
	}
	w.stats.Packets++
	return nil
}

// Flush writes buffered blocks out, e.g. to let a reader at the other end
// of a pipe see the packets so far.
func (w *Writer) Flush() error {
	if err := w.out.Flush(); err != nil {
		return fmt.Errorf("write pcap-ng: %w", err)
	}
	return nil
}

// Close flushes the output (it does not close it) and reports skipped
// events through Options.Warn. It fails when no packet was written, saying
// why: no event had a packet, or none came from the selected probe.
func (w *Writer) Close() error {
	if err := w.Flush(); err != nil {
		return err
	}
	if w.stats.Packets == 0 {
		return w.nothingWritten()
	}
	if w.stats.NoPacket > 0 {
		w.opts.Warn(fmt.Sprintf("%d event(s) were skipped: no packet section", w.stats.NoPacket))
	}
	if w.jsonTooLong > 0 {
		w.opts.Warn(fmt.Sprintf("%d packet(s) lack the event JSON option: it exceeded %d bytes", w.jsonTooLong, maxCustomOptionPayload))
	}
	return nil
}

func (w *Writer) nothingWritten() error {
	const hint = "collect with the pcap profile (retis -p pcap,generic collect) to get packets"
	if w.stats.Unmatched > 0 {
		return fmt.Errorf("%w matching the filter (%d packet(s) left out)", ErrNoPacket, w.stats.Unmatched)
	}
	if len(w.probes) == 0 || w.filter == nil {
		return fmt.Errorf("%w in the input: %s", ErrNoPacket, hint)
	}
	probes := make([]string, 0, len(w.probes))
	for p := range w.probes {
		probes = append(probes, p)
	}
	sort.Strings(probes)
	list := strings.Join(probes, ", ")
	if w.stats.NoPacket > 0 {
		return fmt.Errorf("%w from probe %s (%d event(s) of it have none); probes with packets: %s", ErrNoPacket, w.filter.spec, w.stats.NoPacket, list)
	}
	return fmt.Errorf("%w: %s; probes with packets in the input: %s", ErrProbeNotFound, w.filter.spec, list)
}

// Stats returns what was done so far.
func (w *Writer) Stats() Stats {
	s := w.stats
	s.Interfaces = len(w.ifaces)
	return s
}
