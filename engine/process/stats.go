package process

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/retis-go/retis/engine/events"
)

// Stats summarises an event set, as `retis stats` prints it.
type Stats struct {
	Startup  *events.Startup
	Series   int // number of series when the set was written by sort
	Events   int
	First    uint64
	Last     uint64
	Probes   map[string]int // "probe_type/symbol" -> events
	Unprobed int            // events with neither kernel nor userspace section
}

// ComputeStats reads the whole set once.
func ComputeStats(r *events.Reader) (*Stats, error) {
	s := &Stats{Probes: map[string]int{}}
	for {
		g, err := r.NextSeries()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		counted := false
		for _, e := range g {
			if e.Startup != nil {
				if s.Startup == nil {
					s.Startup = e.Startup
				}
				continue
			}
			counted = true
			s.add(e)
		}
		if counted && r.IsSeries() {
			s.Series++
		}
	}
	return s, nil
}

func (s *Stats) add(e *events.Event) {
	ts := e.Timestamp()
	if s.Events == 0 {
		s.First = ts
	}
	s.Last = max(s.Last, ts)
	s.Events++
	if p := e.ProbeName(); p != "" {
		s.Probes[p]++
	} else {
		s.Unprobed++
	}
}

// Write prints the summary in Retis's layout; times are UTC when the set
// has a startup event, raw monotonic timestamps otherwise.
func (s *Stats) Write(w io.Writer) error {
	var b []byte
	if s.Startup != nil {
		b = fmt.Appendf(b, "Retis version: %s\nRetis cmdline: %s\n", s.Startup.RetisVersion, s.Startup.Cmdline)
	}
	if s.Series > 0 {
		b = fmt.Appendf(b, "Number of series: %d\n", s.Series)
	}
	b = fmt.Appendf(b, "Number of events: %d\n", s.Events)
	if s.Events > 0 {
		b = append(b, "First event at: "...)
		b = s.appendTime(b, s.First)
		b = append(b, "\nLast event at: "...)
		b = s.appendTime(b, s.Last)
		b = append(b, '\n')
	}
	if len(s.Probes) > 0 {
		b = append(b, "Probes:\n"...)
		names := make([]string, 0, len(s.Probes))
		for n := range s.Probes {
			names = append(names, n)
		}
		slices.SortFunc(names, func(a, c string) int {
			return cmp.Or(cmp.Compare(s.Probes[c], s.Probes[a]), cmp.Compare(a, c))
		})
		for _, n := range names {
			b = fmt.Appendf(b, "  %s: %d\n", n, s.Probes[n])
		}
	}
	_, err := w.Write(b)
	return err
}

func (s *Stats) appendTime(b []byte, ts uint64) []byte {
	if s.Startup == nil {
		return strconv.AppendUint(b, ts, 10)
	}
	return events.AppendUTC(b, ts, s.Startup.ClockMonotonicOffset)
}
