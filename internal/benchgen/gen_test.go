package benchgen

import (
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/retis-go/retis/engine/events"
)

func TestGenerateReadsBack(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.data")
	w, err := events.Create(p, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := Generate(w, 5000, 1); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r, err := events.Open(p, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n, drops, last := 0, 0, uint64(0)
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Timestamp() < last {
			t.Fatalf("timestamps go back at %d", n)
		}
		last = e.Timestamp()
		if e.SkbDrop != nil {
			drops++
		}
		n++
	}
	if n != 5001 || drops == 0 {
		t.Fatalf("%d events, %d drops", n, drops)
	}
}
