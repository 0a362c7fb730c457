package process

import (
	"errors"
	"io"

	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
)

// Matcher selects events; nil selects all. Post-processing filters (-f)
// are matchers.
type Matcher func(e *events.Event) bool

func (m Matcher) match(e *events.Event) bool { return m == nil || m(e) }

// matchAny tells whether a series has an event the matcher selects.
func (m Matcher) matchAny(s []*events.Event) bool {
	if m == nil {
		return true
	}
	for _, e := range s {
		if e.Startup == nil && m(e) {
			return true
		}
	}
	return false
}

// PrintOptions configure Print.
type PrintOptions struct {
	Format output.Format
	Match  Matcher
}

// Print writes the events of r as text. A file of series (written by
// sort -o) is printed series by series, as sort prints them.
func Print(r *events.Reader, w io.Writer, o PrintOptions) error {
	p := output.NewPrinter(w, &o.Format)
	for {
		g, err := r.NextSeries()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if r.IsSeries() && !(len(g) == 1 && g[0].Startup != nil) {
			if o.Match.matchAny(g) {
				err = p.Series(g)
			}
		} else {
			for _, e := range g {
				if e.Startup != nil || o.Match.match(e) {
					if err = p.Event(e); err != nil {
						break
					}
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return p.Flush()
}
