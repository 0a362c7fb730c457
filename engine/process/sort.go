package process

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/engine/tracking"
)

// ErrAlreadySorted is returned when sorting a file of series.
var ErrAlreadySorted = errors.New("file already sorted: it holds series written by 'retis sort -o'; use 'retis print' on it")

// SortOptions configure Sort. Text and JSON are the outputs; at least one
// must be set.
type SortOptions struct {
	Tracking tracking.Options
	Format   output.Format
	Match    Matcher
	// Text receives the series as text, JSON one JSON array per series
	// per line (as Retis's sort -o writes).
	Text, JSON io.Writer
}

// Sort groups the events of r into series and writes them. A series is
// kept when any of its events matches.
func Sort(r *events.Reader, o SortOptions) error {
	if o.Text == nil && o.JSON == nil {
		return errors.New("sort: no output")
	}
	var p *output.Printer
	if o.Text != nil {
		p = output.NewPrinter(o.Text, &o.Format)
	}
	var jw *bufio.Writer
	var buf []byte
	if o.JSON != nil {
		jw = bufio.NewWriterSize(o.JSON, 1<<20)
	}
	emit := func(s tracking.Series) error {
		startup := len(s) == 1 && s[0].Startup != nil
		if !startup && !o.Match.matchAny(s) {
			return nil
		}
		if p != nil {
			var err error
			if startup {
				err = p.Event(s[0])
			} else {
				err = p.Series(s)
			}
			if err != nil {
				return err
			}
		}
		if jw != nil {
			var err error
			if buf, err = tracking.AppendSeriesJSON(buf[:0], s); err != nil {
				return err
			}
			if _, err := jw.Write(append(buf, '\n')); err != nil {
				return fmt.Errorf("write series: %w", err)
			}
		}
		return nil
	}
	s := tracking.NewSorter(o.Tracking, emit)
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if r.IsSeries() {
			return ErrAlreadySorted
		}
		if err := s.Add(e); err != nil {
			return err
		}
	}
	if err := s.Close(); err != nil {
		return err
	}
	if p != nil {
		if err := p.Flush(); err != nil {
			return err
		}
	}
	if jw != nil {
		if err := jw.Flush(); err != nil {
			return fmt.Errorf("write series: %w", err)
		}
	}
	return nil
}
