package run

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/retis-go/retis/engine/events"
)

func TestPipeDeliversThenEnds(t *testing.T) {
	p := NewPipe(2)
	go func() {
		for i := range 100 {
			if err := p.Write(ev(uint64(i), "a")); err != nil {
				t.Error(err)
				return
			}
		}
		p.CloseWrite(nil)
	}()
	ctx := NewContext(Options{Events: p.Open})
	if err := callMain(t, ctx, `
def main(ctx):
    ts = [e.common.timestamp for e in ctx.events()]
    if ts != list(range(100)):
        fail(ts)
`); err != nil {
		t.Fatal(err)
	}
	if p.Delivered() != 100 || ctx.Processed() != 100 {
		t.Fatalf("delivered %d, processed %d", p.Delivered(), ctx.Processed())
	}
	if _, err := p.Open(); !errors.Is(err, ErrOnePass) {
		t.Fatalf("second open: %v", err)
	}
}

func TestPipeEndError(t *testing.T) {
	p := NewPipe(4)
	p.Write(ev(1, "a"))
	p.CloseWrite(errors.New("ring buffer: map closed"))
	if e, err := p.Next(); err != nil || e.Timestamp() != 1 {
		t.Fatalf("buffered event lost: %v %v", e, err)
	}
	if _, err := p.Next(); err == nil || err.Error() != "ring buffer: map closed" {
		t.Fatalf("end error: %v", err)
	}
	q := NewPipe(0)
	q.CloseWrite(nil)
	if _, err := q.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("clean end: %v", err)
	}
}

// TestPipeReaderGoneUnblocksWriter checks that a collection blocked on a
// script that stopped reading gets ErrReaderGone instead of hanging.
func TestPipeReaderGoneUnblocksWriter(t *testing.T) {
	p := NewPipe(1)
	errc := make(chan error, 1)
	go func() {
		for {
			if err := p.Write(&events.Event{}); err != nil {
				errc <- err
				return
			}
		}
	}()
	ctx := NewContext(Options{Events: p.Open})
	if err := callMain(t, ctx, "def main(ctx):\n    for e in ctx.events():\n        break\n"); err != nil {
		t.Fatal(err)
	}
	// Breaking out of the loop closed the source.
	select {
	case err := <-errc:
		if !errors.Is(err, ErrReaderGone) {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("writer still blocked after the script stopped reading")
	}
}
