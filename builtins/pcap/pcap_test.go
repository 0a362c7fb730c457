package pcap

import (
	"errors"
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/retis-go/retis/builtins"
	"github.com/retis-go/retis/builtins/event"
	"github.com/retis-go/retis/builtins/files"
	"github.com/retis-go/retis/engine/events"
)

type memWriter struct {
	got    []uint64
	closed int
	err    error
}

func (m *memWriter) Write(e *events.Event) error { m.got = append(m.got, e.Timestamp()); return m.err }
func (m *memWriter) Close() error                { m.closed++; return nil }

func exec(t *testing.T, set *files.Set, o Opener, src string, globals starlark.StringDict) error {
	t.Helper()
	th := new(starlark.Thread)
	ph := builtins.PhaseMain
	builtins.SetPhase(th, &ph)
	if set != nil {
		files.SetFiles(th, set)
	}
	if o != nil {
		SetOpener(th, o)
	}
	globals["pcap"] = Module
	_, err := starlark.ExecFileOptions(&syntax.FileOptions{TopLevelControl: true}, th, "p.star", src, globals)
	return err
}

func TestWriteOnlyPackets(t *testing.T) {
	m := &memWriter{}
	set := files.NewSet("out.pcap")
	withPkt := &events.Event{Common: &events.Common{Timestamp: 1}, Packet: &events.Packet{Len: 1, CaptureLen: 1, Data: []byte{0}}}
	noPkt := &events.Event{Common: &events.Common{Timestamp: 2}}
	err := exec(t, set, func(p string) (Writer, error) {
		if p != "out.pcap" {
			t.Errorf("opened %s", p)
		}
		return m, nil
	}, `
w = pcap.writer("out.pcap")
if not w.write(a) or w.write(b) or w.count != 1:
    fail("write results", w.count)
w.close()
w.close()
w.write(a)
`, starlark.StringDict{"a": event.New(withPkt, nil), "b": event.New(noPkt, nil)})
	if err == nil || !strings.Contains(err.Error(), `pcap.writer.write: out.pcap is closed`) {
		t.Fatalf("write after close: %v", err)
	}
	if len(m.got) != 1 || m.got[0] != 1 || m.closed != 1 {
		t.Fatalf("writer saw %v, closed %d times", m.got, m.closed)
	}
	// The file set closes it again at the end of main: still once.
	if err := set.Close(); err != nil || m.closed != 1 {
		t.Fatalf("set close: %v, closed %d", err, m.closed)
	}
}

func TestWriterErrors(t *testing.T) {
	set := files.NewSet("out.pcap")
	for _, tc := range []struct {
		o    Opener
		src  string
		want string
	}{
		{nil, `pcap.writer("out.pcap")`, "pcap.writer: pcap-ng output is not available in this program"},
		{func(string) (Writer, error) { return nil, errors.New("permission denied") }, `pcap.writer("out.pcap")`, "pcap.writer: permission denied"},
		{func(string) (Writer, error) { return &memWriter{}, nil }, `pcap.writer("other.pcap")`, `pcap.writer: "other.pcap": not a path given`},
		{func(string) (Writer, error) { return &memWriter{err: errors.New("disk full")}, nil }, `pcap.writer("out.pcap").write(e)`, "pcap.writer.write: out.pcap: disk full"},
		{func(string) (Writer, error) { return &memWriter{}, nil }, `pcap.writer("out.pcap").write(1)`, "pcap.writer.write: for parameter event: got int, want event"},
	} {
		e := event.New(&events.Event{Packet: &events.Packet{Data: []byte{1}}}, nil)
		err := exec(t, set, tc.o, tc.src, starlark.StringDict{"e": e})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %s", tc.src, err, tc.want)
		}
	}
}
