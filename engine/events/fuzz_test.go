package events

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func compatLines(f testing.TB) [][]byte {
	var out [][]byte
	for _, name := range []string{"test_events.json", "test_events_packets.json", "test_events_sorted.json", "test_events_packets_invalid_ct.json"} {
		b, err := os.ReadFile(filepath.Join(compatDir, name))
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			out = append(out, append([]byte(nil), sc.Bytes()...))
		}
	}
	return out
}

// FuzzDecodeLine feeds arbitrary lines, in every layout and as event or
// series lines, to the decoder the reader uses: it must return events or
// an error, never panic, and what it decodes must encode and decode again
// to the same JSON.
func FuzzDecodeLine(f *testing.F) {
	for _, l := range compatLines(f) {
		f.Add(l, uint8(Layout16), l[0] == '[')
	}
	f.Add([]byte(`{"common":{"timestamp":1},"x":[{"}":"]"}]}`), uint8(LayoutLatest), false)
	f.Fuzz(func(t *testing.T, line []byte, layout uint8, series bool) {
		g, err := decodeLine(line, Layout(layout%3), series)
		if err != nil {
			return
		}
		for _, e := range g {
			b1, err := e.MarshalJSON()
			if err != nil {
				t.Fatalf("decoded event does not encode: %v", err)
			}
			var e2 Event
			if err := e2.UnmarshalJSON(b1); err != nil {
				t.Fatalf("re-decode %s: %v", b1, err)
			}
			b2, _ := e2.MarshalJSON()
			if !bytes.Equal(b1, b2) {
				t.Fatalf("round trip differs:\n%s\n%s", b1, b2)
			}
		}
	})
}

// TestReaderMutations runs the whole reader pipeline (batching, parallel
// decode, ordering, early errors, Close) over mutated files: each must end
// with io.EOF or an error, within a deadline.
func TestReaderMutations(t *testing.T) {
	seed := bytes.Join(compatLines(t), []byte("\n"))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		d := append([]byte(nil), seed...)
		for k := 0; k < 1+rng.IntN(8) && len(d) > 1; k++ {
			p := rng.IntN(len(d))
			switch rng.IntN(3) {
			case 0:
				d[p] = byte(rng.IntN(256))
			case 1:
				d = append(d[:p], d[p+1:]...)
			default:
				d = d[:p]
			}
		}
		done := make(chan error, 1)
		go func() {
			r, err := NewReader(bytes.NewReader(d), "m", Options{Workers: 2, Warn: func(string) {}})
			if err != nil {
				done <- err
				return
			}
			defer r.Close()
			for {
				if _, err := r.Next(); err != nil {
					done <- err
					return
				}
			}
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Fatalf("mutation %d: reader stopped without error or EOF", i)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("mutation %d: reader hung", i)
		}
	}
}
