package output

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/retis-go/retis/engine/events"
)

func seriesEvents() []*events.Event {
	track := events.SkbTracking{OrigHead: 0xff00, Timestamp: 0x10, Skb: 0xaa}
	k := tp("skb:kfree_skb")
	k.StackTrace = []string{"kfree_skb_reason+0x1", "ip_rcv+0x2"}
	return []*events.Event{
		{Common: &events.Common{Timestamp: 10}, Kernel: tp("net:netif_receive_skb"),
			Tracking: &events.Tracking{Skb: track, Idx: 0}, Netns: &events.Netns{Inum: 1}},
		{Common: &events.Common{Timestamp: 20}, Kernel: tp("net:net_dev_start_xmit"),
			Tracking: &events.Tracking{Skb: track, Idx: 1}, Dev: &events.Dev{Ifindex: 2}},
		{Common: &events.Common{Timestamp: 30}, Kernel: k, Tracking: &events.Tracking{Skb: track, Idx: 2},
			SkbDrop: &events.SkbDrop{DropReason: "NO_SOCKET"}, Netns: &events.Netns{Inum: 1}},
	}
}

const (
	seriesMulti = "10 [tp] net:netif_receive_skb #10000000000000ff00 (skb aa) n 0\n  ns 1\n" +
		"  ↳ 20 [tp] net:net_dev_start_xmit #10000000000000ff00 (skb aa) n 1\n      if 2\n" +
		"  ↳ 30 [tp] skb:kfree_skb #10000000000000ff00 (skb aa) n 2 drop (reason NO_SOCKET)\n" +
		"        kfree_skb_reason+0x1\n        ip_rcv+0x2\n      ns 1"
	seriesSingle = "10 [tp] net:netif_receive_skb #10000000000000ff00 (skb aa) n 0 ns 1\n" +
		"  ↳ 20 [tp] net:net_dev_start_xmit #10000000000000ff00 (skb aa) n 1 if 2\n" +
		"  ↳ 30 [tp] skb:kfree_skb #10000000000000ff00 (skb aa) n 2 drop (reason NO_SOCKET) [kfree_skb_reason+0x1, ip_rcv+0x2] ns 1"
)

func TestSeries(t *testing.T) {
	s := seriesEvents()
	check(t, "multi-line", string(AppendSeries(nil, s, multi)), seriesMulti)
	check(t, "single-line", string(AppendSeries(nil, s, single)), seriesSingle)
	check(t, "one event", string(AppendSeries(nil, s[:1], multi)), render(s[0], multi))
	check(t, "appends", string(AppendSeries([]byte("x"), s[:1], single)), "x"+render(s[0], single))
	check(t, "empty", string(AppendSeries(nil, nil, multi)), "")
}

func TestPrinterEvents(t *testing.T) {
	s := seriesEvents()
	for _, c := range []struct {
		name string
		f    *Format
		sep  string
	}{{"multi-line", multi, "\n\n"}, {"single-line", single, "\n"}} {
		var out bytes.Buffer
		p := NewPrinter(&out, c.f)
		var want strings.Builder
		for _, e := range s {
			if err := p.Event(e); err != nil {
				t.Fatal(err)
			}
			want.WriteString(render(e, c.f) + c.sep)
		}
		if err := p.Flush(); err != nil {
			t.Fatal(err)
		}
		check(t, c.name, out.String(), want.String())
	}
}

func TestPrinterSeries(t *testing.T) {
	s := seriesEvents()
	for _, c := range []struct {
		name string
		f    *Format
		one  string
	}{{"multi-line", multi, seriesMulti}, {"single-line", single, seriesSingle}} {
		var out bytes.Buffer
		p := NewPrinter(&out, c.f)
		for range 2 {
			if err := p.Series(s); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.Flush(); err != nil {
			t.Fatal(err)
		}
		// A blank line ends every series, whatever the format.
		check(t, c.name, out.String(), c.one+"\n\n"+c.one+"\n\n")
	}
}

// TestPrinterClockOffset checks that UTC times use the offset of the last
// startup event printed, as Retis does for files and series.
func TestPrinterClockOffset(t *testing.T) {
	start := &events.Event{Common: &events.Common{Timestamp: 1},
		Startup: &events.Startup{RetisVersion: "v1.6.0", ClockMonotonicOffset: events.TimeSpec{Sec: 1742309146, Nsec: 691042000}}}
	e := &events.Event{Common: &events.Common{Timestamp: 30419169061793}}
	f := &Format{Time: UTCTime}

	var out bytes.Buffer
	p := NewPrinter(&out, f)
	for _, x := range []*events.Event{e, start, e} {
		if err := p.Event(x); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Series([]*events.Event{e}); err != nil {
		t.Fatal(err)
	}
	_ = p.Flush()
	check(t, "printer", out.String(), "30419169061793\n2025-03-18 14:45:46.691042 Retis version v1.6.0\n"+
		"2025-03-18 23:12:45.860103\n2025-03-18 23:12:45.860103\n\n")
	if f.MonotonicOffset != nil {
		t.Error("the printer changed the caller's format")
	}

	check(t, "series", string(AppendSeries(nil, []*events.Event{e, start, e}, f)), "30419169061793\n"+
		"  ↳ 2025-03-18 14:45:46.691042 Retis version v1.6.0\n  ↳ 2025-03-18 23:12:45.860103")
	if f.MonotonicOffset != nil {
		t.Error("AppendSeries changed the caller's format")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, syscall.EPIPE }

func TestPrinterWriteError(t *testing.T) {
	p := NewPrinter(failWriter{}, multi)
	_ = p.Event(seriesEvents()[0])
	if err := p.Flush(); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("Flush: got %v, want EPIPE", err)
	}
}
