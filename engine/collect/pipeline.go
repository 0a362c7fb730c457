package collect

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf/ringbuf"

	"github.com/retis-go/retis/engine/events"
)

const (
	// readDeadline bounds how long an event waits in the ring buffer:
	// producers wake the reader only past a fill threshold.
	readDeadline = 10 * time.Millisecond
	// batchSize is the number of records decoded by one worker at a
	// time.
	batchSize = 1024
)

// Sink receives every event of a collection, in order, from one
// goroutine. *events.Writer is one.
type Sink interface {
	Write(*events.Event) error
}

// batch is a run of records on its way through the pipeline.
type batch struct {
	buf  []byte
	offs []int // record i is buf[offs[i]:offs[i+1]]

	evs   []*events.Event
	json  []byte
	lines []int // line i ends at lines[i]
	done  chan struct{}
	// drained, when not 0, is when the reader found the ring buffer
	// empty after this batch's last record (CLOCK_MONOTONIC ns): every
	// record produced before is in this batch or an earlier one.
	drained uint64
}

func (b *batch) add(rec []byte) {
	if len(b.offs) == 0 {
		b.offs = append(b.offs, 0)
	}
	b.buf = append(b.buf, rec...)
	// Keep every record 8-byte aligned, as their sections assume.
	for len(b.buf)%8 != 0 {
		b.buf = append(b.buf, 0)
	}
	b.offs = append(b.offs, len(b.buf))
}

func (b *batch) len() int { return max(len(b.offs)-1, 0) }

// pipeline decodes and encodes records on several goroutines and writes
// them out in ring buffer order.
type pipeline struct {
	dec  *decoder
	file *events.Writer
	// wholeBatches lets the writer hand a batch's lines to the file in
	// one call (no rotation to split them, no event limit to cut them).
	wholeBatches bool
	sinks        []Sink
	stopAfter    uint64
	log          *slog.Logger
	// stop is called once when stopAfter events were written or a sink
	// failed.
	stop func()

	// packets, when set, sees every decoded event that has a packet
	// (the nft Joiner indexes them), from the encoding goroutines.
	packets func(*events.Event)

	work  chan *batch
	order chan *batch
	// free keeps written batches for reuse with their grown buffers (a
	// sync.Pool drops them at every GC, and regrowing them cost 5 % of
	// the ring → file path).
	free chan *batch

	// watermark is the latest batch drained time whose batches, and
	// all before them, have been decoded (and given to packets).
	watermark atomic.Uint64

	// wmu serializes output: batches from write and events from
	// inject. stopped is set once nothing more may be written.
	wmu     sync.Mutex
	stopped bool

	// flushEvery is how often, at most, the file is flushed while the
	// ring buffer runs dry: a quiet collection's events reach the file
	// (for tail -f, or a kill -9) within about that time, while a busy
	// one, whose ring never empties, writes only whole chunks.
	flushEvery time.Duration
	lastFlush  time.Time

	processed   atomic.Uint64
	decodeFails atomic.Uint64
	mu          sync.Mutex
	err         error
}

func newPipeline(dec *decoder, file *events.Writer, sinks []Sink, stopAfter uint64, stop func(), log *slog.Logger) *pipeline {
	p := &pipeline{
		dec: dec, file: file, sinks: sinks, stopAfter: stopAfter, stop: stop, log: log,
		work:  make(chan *batch, 64),
		order: make(chan *batch, 64),
		free:  make(chan *batch, 64),

		flushEvery: time.Second,
		lastFlush:  time.Now(),
	}
	return p
}

func (p *pipeline) newBatch() *batch {
	var b *batch
	select {
	case b = <-p.free:
	default:
		b = &batch{}
	}
	b.buf, b.offs, b.evs, b.json, b.lines = b.buf[:0], b.offs[:0], b.evs[:0], b.json[:0], b.lines[:0]
	b.drained = 0
	b.done = make(chan struct{})
	return b
}

func (p *pipeline) dispatch(b *batch) {
	p.order <- b
	p.work <- b
}

// recordSource is what the pipeline reads: a *ringbuf.Reader.
type recordSource interface {
	ReadInto(*ringbuf.Record) error
	SetDeadline(time.Time)
}

// read moves records from the ring buffer into batches until the reader
// is flushed (after the probes are detached) or closed.
func (p *pipeline) read(rd recordSource) {
	defer close(p.work)
	defer close(p.order)
	var rec ringbuf.Record
	b := p.newBatch()
	rd.SetDeadline(time.Now().Add(readDeadline))
	for {
		err := rd.ReadInto(&rec)
		switch {
		case err == nil:
			b.add(rec.RawSample)
			if b.len() >= batchSize {
				p.dispatch(b)
				b = p.newBatch()
			}
			continue
		case errors.Is(err, os.ErrDeadlineExceeded):
			// Sent even when empty: its drained time moves the
			// watermark while no event comes.
			b.drained = monotonicNow()
			p.dispatch(b)
			b = p.newBatch()
			rd.SetDeadline(time.Now().Add(readDeadline))
			continue
		case errors.Is(err, ringbuf.ErrFlushed), errors.Is(err, ringbuf.ErrClosed):
		default:
			p.fail(fmt.Errorf("read ring buffer: %w", err))
		}
		if b.len() > 0 {
			p.dispatch(b)
		}
		return
	}
}

// encode decodes and encodes batches; run on several goroutines.
func (p *pipeline) encode() {
	keep := len(p.sinks) > 0
	// Events only encoded are done with before the next one: they share
	// one slab. Events the packets hook may keep get their own.
	fresh := keep || p.packets != nil
	var slab eventSlab
	for b := range p.work {
		for i := 0; i < b.len(); i++ {
			rec := b.buf[b.offs[i]:b.offs[i+1]]
			var (
				e   *events.Event
				err error
			)
			if fresh {
				e, err = p.dec.decode(rec)
			} else {
				e, err = p.dec.decodeInto(rec, &slab)
			}
			if err != nil {
				if p.decodeFails.Add(1) <= 3 {
					p.log.Warn("dropping an event that does not decode", "error", err)
				}
				continue
			}
			if p.packets != nil && e.Packet != nil {
				p.packets(e)
			}
			if p.file != nil {
				if b.json, err = e.AppendJSON(b.json); err != nil {
					p.decodeFails.Add(1)
					continue
				}
				b.json = append(b.json, '\n')
				b.lines = append(b.lines, len(b.json))
			}
			if keep {
				b.evs = append(b.evs, e)
			}
			if !keep && p.file == nil {
				b.lines = append(b.lines, 0)
			}
		}
		close(b.done)
	}
}

// write writes batches out in order; it returns when the reader is done.
func (p *pipeline) write() {
	for b := range p.order {
		<-b.done
		p.wmu.Lock()
		p.writeBatch(b)
		if b.drained != 0 && p.file != nil && !p.stopped && time.Since(p.lastFlush) >= p.flushEvery {
			if err := p.file.Flush(); err != nil {
				p.stopped = true
				p.fail(err)
			}
			p.lastFlush = time.Now()
		}
		p.wmu.Unlock()
		if b.drained != 0 {
			p.watermark.Store(b.drained)
		}
		clear(b.evs)
		select {
		case p.free <- b:
		default:
		}
	}
}

// writeBatch writes one batch; p.wmu is held.
func (p *pipeline) writeBatch(b *batch) {
	if p.stopped {
		return
	}
	n := max(len(b.lines), len(b.evs))
	if p.wholeBatches && len(p.sinks) == 0 && n > 0 {
		if err := p.file.WriteRaw(b.json); err != nil {
			p.stopped = true
			p.fail(err)
			return
		}
		p.processed.Add(uint64(n))
		return
	}
	start := 0
	for i := 0; i < n; i++ {
		var line []byte
		if p.file != nil {
			line, start = b.json[start:b.lines[i]], b.lines[i]
		}
		var e *events.Event
		if i < len(b.evs) {
			e = b.evs[i]
		}
		if !p.output(line, e) {
			return
		}
	}
}

// output writes one event's JSON line to the file and the event to the
// sinks, and counts it; false once nothing more may be written. p.wmu is
// held.
func (p *pipeline) output(line []byte, e *events.Event) bool {
	if p.file != nil && line != nil {
		if err := p.file.WriteRaw(line); err != nil {
			p.stopped = true
			p.fail(err)
			return false
		}
	}
	if e != nil {
		for _, s := range p.sinks {
			if err := s.Write(e); err != nil {
				p.stopped = true
				p.fail(err)
				return false
			}
		}
	}
	if c := p.processed.Add(1); p.stopAfter > 0 && c >= p.stopAfter {
		p.stopped = true
		p.stop()
		return false
	}
	return true
}

// inject writes an event that did not come through the ring buffer (a
// joined nft verdict), between batches. It is safe to call from any
// goroutine, also once the pipeline has finished.
func (p *pipeline) inject(e *events.Event) {
	var line []byte
	if p.file != nil {
		var err error
		if line, err = e.AppendJSON(nil); err != nil {
			p.log.Warn("dropping an event that does not encode", "error", err)
			return
		}
		line = append(line, '\n')
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if !p.stopped {
		p.output(line, e)
	}
}

func (p *pipeline) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	p.stop()
}

// run starts the pipeline; the returned function waits for it to finish.
func (p *pipeline) run(rd recordSource) (wait func() error) {
	var wg sync.WaitGroup
	workers := max(runtime.GOMAXPROCS(0), 1)
	for range workers {
		wg.Go(p.encode)
	}
	done := make(chan struct{})
	go func() {
		p.write()
		close(done)
	}()
	go p.read(rd)
	return func() error {
		wg.Wait()
		<-done
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.err
	}
}
