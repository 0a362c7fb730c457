package events

import (
	"bufio"

	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// DefaultFile is the event file used when none is given.
const DefaultFile = "retis.data"

// batchSize is how many lines a decode worker takes at once: large enough
// to amortise channel traffic, small enough to keep memory flat.
const batchSize = 256

// Reader streams events from one file or a rotated set, decoding lines in
// parallel while returning events in file order.
type Reader struct {
	paths []string
	// Warn receives non-fatal problems (e.g. a ct section without
	// ct_status). Defaults to slog.Warn.
	warn func(msg string)

	startup *Event
	layout  Layout

	order chan *batch
	stop  chan struct{}
	wg    sync.WaitGroup

	cur      *batch
	gpos     int // group in cur
	pos      int // event in the group
	series   bool
	err      error
	warnOnce sync.Once
	closed   bool
}

type batch struct {
	file   string
	first  int // line number of lines[0]
	layout Layout
	series bool
	lines  [][]byte
	// groups holds one entry per line: a single event for event files, a
	// whole series for files written by sort.
	groups [][]*Event
	err    error
	rdErr  error // reading error after the lines
	done   chan struct{}
}

// Options tune a Reader.
type Options struct {
	// Workers is the number of decoding goroutines; 0 means GOMAXPROCS.
	Workers int
	// Warn receives non-fatal problems; nil means slog.Warn.
	Warn func(msg string)
}

// Paths returns the files making up the event set named path: path itself,
// or its rotated parts path.0, path.1, ... in order (then path, when both
// exist: it is the part being written).
func Paths(path string) ([]string, error) {
	matches, _ := filepath.Glob(globEscape(path) + ".*")
	type part struct {
		n int
		p string
	}
	var parts []part
	for _, m := range matches {
		n, err := strconv.Atoi(strings.TrimPrefix(m, path+"."))
		if err == nil && n >= 0 {
			parts = append(parts, part{n, m})
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].n < parts[j].n })
	var out []string
	for _, p := range parts {
		out = append(out, p.p)
	}
	if _, err := os.Stat(path); err == nil {
		out = append(out, path)
	} else if len(out) == 0 {
		return nil, fmt.Errorf("open events file: %w (collect with 'retis collect -o %s', or give the file to read)", err, path)
	}
	return out, nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}

// Open opens the event set named path (see Paths).
func Open(path string, opts Options) (*Reader, error) {
	paths, err := Paths(path)
	if err != nil {
		return nil, err
	}
	return newReader(paths, nil, opts)
}

// NewReader reads events from r; name is used in error messages.
func NewReader(r io.Reader, name string, opts Options) (*Reader, error) {
	return newReader([]string{name}, r, opts)
}

func newReader(paths []string, r io.Reader, opts Options) (*Reader, error) {
	rd := &Reader{
		paths: paths,
		warn:  opts.Warn,
		order: make(chan *batch, 64),
		stop:  make(chan struct{}),
	}
	if rd.warn == nil {
		rd.warn = func(m string) { slog.Warn(m) }
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	work := make(chan *batch, 2*workers)
	for range workers {
		rd.wg.Go(func() {
			for b := range work {
				rd.decode(b)
			}
		})
	}
	// The first file is opened here so that a missing or unreadable file
	// fails Open rather than the first Next.
	var first *bufio.Reader
	var firstClose func()
	if r != nil {
		first = bufio.NewReaderSize(r, 1<<20)
		firstClose = func() {}
	} else {
		f, err := os.Open(paths[0])
		if err != nil {
			close(work)
			return nil, fmt.Errorf("open events file: %w", err)
		}
		first = bufio.NewReaderSize(f, 1<<20)
		firstClose = func() { f.Close() }
	}
	go rd.produce(first, firstClose, r == nil, work)
	return rd, nil
}

// produce splits files into batches of lines, in order.
func (rd *Reader) produce(first *bufio.Reader, firstClose func(), isFile bool, work chan<- *batch) {
	defer close(rd.order)
	defer close(work)
	for i, path := range rd.paths {
		br, closeFn := first, firstClose
		if i > 0 {
			f, err := os.Open(path)
			if err != nil {
				rd.send(&batch{file: path, rdErr: fmt.Errorf("open events file: %w", err), done: closedChan()}, nil)
				return
			}
			br, closeFn = bufio.NewReaderSize(f, 1<<20), func() { f.Close() }
		}
		ok := rd.produceFile(path, br, i > 0, work)
		closeFn()
		if !ok {
			return
		}
	}
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

func (rd *Reader) send(b *batch, work chan<- *batch) bool {
	select {
	case rd.order <- b:
	case <-rd.stop:
		return false
	}
	if work == nil {
		return true
	}
	select {
	case work <- b:
		return true
	case <-rd.stop:
		return false
	}
}

// produceFile reads one file. The first line decides the layout; for parts
// after the first, the startup event is skipped (it repeats the first).
func (rd *Reader) produceFile(path string, br *bufio.Reader, skipStartup bool, work chan<- *batch) bool {
	line := 0
	b := &batch{file: path, first: 1, done: make(chan struct{})}
	layoutKnown := false
	for {
		raw, err := readLine(br)
		if len(raw) > 0 {
			line++
			if !layoutKnown {
				layoutKnown = true
				g, lerr := rd.detect(path, raw)
				if lerr != nil {
					b.rdErr = lerr
					close(b.done)
					rd.send(b, nil)
					return false
				}
				if g != nil {
					if !skipStartup {
						b.groups = append(b.groups, g)
					}
					// The startup line is decoded here; the batch starts after it.
					b.first = line + 1
					continue
				}
			}
			if isBlank(raw) {
				if len(b.lines) == 0 {
					b.first = line + 1
				} else {
					b.lines = append(b.lines, nil)
				}
			} else {
				b.lines = append(b.lines, raw)
			}
			if len(b.lines) >= batchSize {
				b.layout, b.series = rd.layout, rd.series
				if !rd.send(b, work) {
					return false
				}
				b = &batch{file: path, first: line + 1, done: make(chan struct{})}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				b.rdErr = fmt.Errorf("%s:%d: read: %w", path, line+1, err)
			}
			b.layout, b.series = rd.layout, rd.series
			if len(b.lines) == 0 {
				close(b.done)
				return rd.send(b, nil) && b.rdErr == nil
			}
			return rd.send(b, work) && b.rdErr == nil
		}
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// readLine returns the next line without its newline, however long.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		buf := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = br.ReadSlice('\n')
			buf = append(buf, line...)
		}
		line = buf
	} else {
		line = append([]byte(nil), line...)
	}
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	return line, err
}

// detect looks at the first line of a file: a JSON array means a file of
// series (written by sort -o), an object a file of events. When the first
// event is a startup event, the file's layout comes from its retis_version
// and the decoded line is returned; otherwise the latest layout is assumed.
func (rd *Reader) detect(path string, raw []byte) ([]*Event, error) {
	rd.layout = LayoutLatest
	i := skipWS(raw, 0)
	rd.series = i < len(raw) && raw[i] == '['
	first := raw
	if rd.series {
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, fmt.Errorf("%s:1: %w", path, err)
		}
		if len(elems) == 0 {
			return nil, nil
		}
		first = elems[0]
	}
	var version string
	var isStartup bool
	_ = splitObject(first, func(k string, v []byte) error {
		if k != SecStartup {
			return nil
		}
		isStartup = true
		return splitObject(v, func(k string, v []byte) error {
			if k == "retis_version" && len(v) >= 2 && v[0] == '"' {
				version, _ = strconv.Unquote(string(v))
			}
			return nil
		})
	})
	if !isStartup {
		return nil, nil
	}
	layout, err := LayoutOf(version)
	if err != nil {
		return nil, fmt.Errorf("%s:1: %w", path, err)
	}
	rd.layout = layout
	g, err := decodeLine(raw, layout, rd.series)
	if err != nil {
		return nil, fmt.Errorf("%s:1: %w", path, err)
	}
	if rd.startup == nil {
		rd.startup = g[0]
	}
	return g, nil
}

// decodeLine decodes one line: an event, or a series of events.
func decodeLine(raw []byte, layout Layout, series bool) ([]*Event, error) {
	if !series {
		ev, err := Upgrade(raw, layout)
		if err != nil {
			return nil, err
		}
		return []*Event{ev}, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, err
	}
	g := make([]*Event, 0, len(elems))
	for _, el := range elems {
		ev, err := Upgrade(el, layout)
		if err != nil {
			return nil, err
		}
		g = append(g, ev)
	}
	return g, nil
}

func (rd *Reader) decode(b *batch) {
	defer close(b.done)
	for i, raw := range b.lines {
		if raw == nil {
			continue
		}
		g, err := decodeLine(raw, b.layout, b.series)
		if err != nil {
			b.err = fmt.Errorf("%s:%d: %w", b.file, b.first+i, err)
			return
		}
		for _, ev := range g {
			if ev.Ct != nil && ev.Ct.MissingStatus() {
				rd.warnOnce.Do(func() {
					rd.warn(fmt.Sprintf("%s:%d: ct section lacks ct_status; kept with status 0 (further such events are not reported)", b.file, b.first+i))
				})
			}
		}
		b.groups = append(b.groups, g)
	}
	b.lines = nil
}

// Startup returns the first file's startup event, or nil when the file has
// none. It is known once the first event has been read.
func (rd *Reader) Startup() *Startup {
	if rd.startup == nil {
		return nil
	}
	return rd.startup.Startup
}

// Next returns the next event, or io.EOF at the end of the set. Series
// files are flattened.
func (rd *Reader) Next() (*Event, error) {
	for {
		g, err := rd.group(false)
		if err != nil {
			return nil, err
		}
		if rd.pos < len(g) {
			ev := g[rd.pos]
			g[rd.pos] = nil
			rd.pos++
			return ev, nil
		}
		rd.gpos++
		rd.pos = 0
	}
}

// IsSeries reports whether the set holds series (written by sort -o)
// rather than events. It is known once the first event has been read.
func (rd *Reader) IsSeries() bool { return rd.series }

// NextSeries returns the next line of a series file as a whole, or a single
// event for event files; io.EOF at the end of the set.
func (rd *Reader) NextSeries() ([]*Event, error) {
	g, err := rd.group(true)
	if err != nil {
		return nil, err
	}
	rest := g[rd.pos:]
	rd.cur.groups[rd.gpos] = nil
	rd.gpos++
	rd.pos = 0
	return rest, nil
}

// group returns the current group, moving to the next batch as needed.
// With skipEmpty, exhausted groups are skipped.
func (rd *Reader) group(skipEmpty bool) ([]*Event, error) {
	for {
		if rd.err != nil {
			return nil, rd.err
		}
		if rd.cur != nil && rd.gpos < len(rd.cur.groups) {
			g := rd.cur.groups[rd.gpos]
			if skipEmpty && rd.pos >= len(g) {
				rd.gpos++
				rd.pos = 0
				continue
			}
			return g, nil
		}
		if rd.cur != nil {
			if rd.cur.err != nil {
				rd.err = rd.cur.err
				continue
			}
			if rd.cur.rdErr != nil {
				rd.err = rd.cur.rdErr
				continue
			}
		}
		b, ok := <-rd.order
		if !ok {
			rd.err = io.EOF
			continue
		}
		<-b.done
		rd.cur, rd.gpos, rd.pos = b, 0, 0
	}
}

// Close stops decoding and releases the files.
func (rd *Reader) Close() error {
	if rd.closed {
		return nil
	}
	rd.closed = true
	close(rd.stop)
	for range rd.order {
	}
	rd.wg.Wait()
	return nil
}
