package output

import (
	"bytes"
	"strconv"
)

// itemMark is the character Retis puts before the follow-up events of a
// series ("  ↳ ").
const itemMark = "↳"

// maxLevels bounds the nesting of indentation changes; Retis nests at most
// three deep (series, event sections, stack trace or flow list).
const maxLevels = 8

// indenter reproduces the indentation rules of Retis's text formatter, so
// that multi-line sections come out exactly as Retis prints them.
//
// Text is buffered at the current indentation level. When the level is
// changed and text is then written, the buffer is flushed: its first line
// continues the current output line (or, at the start of a line, gets the
// level's prefix), every following non-empty line gets the prefix. Only the
// very first line of an event may carry the item mark, in place of the
// last-but-one space of its prefix.
type indenter struct {
	out []byte // rendered text
	buf []byte // pending text at level

	level  int // level of the pending text
	want   int // level asked for by the caller
	saved  [maxLevels]int
	nsaved int

	item  bool // mark the first line with itemMark
	first bool // nothing has been flushed yet
	start bool // the output is at the start of a line
}

// reset prepares the indenter to render one event after dst, at the given
// base level, optionally marking its first line.
func (w *indenter) reset(dst []byte, level int, item bool) {
	w.out = dst
	w.buf = w.buf[:0]
	w.level, w.want, w.nsaved = level, level, 0
	w.item, w.first, w.start = item, true, true
}

// push increases the indentation by n for the text written from now on.
func (w *indenter) push(n int) {
	if w.nsaved < maxLevels {
		w.saved[w.nsaved] = w.want
		w.nsaved++
	}
	w.want += n
}

// pop restores the indentation in effect before the last push.
func (w *indenter) pop() {
	if w.nsaved > 0 {
		w.nsaved--
		w.want = w.saved[w.nsaved]
	}
}

// b returns the pending buffer to append to, flushing it first when the
// level changed since it was filled. Callers must store the result back in
// w.buf.
func (w *indenter) b() []byte {
	if w.want != w.level {
		if len(w.buf) > 0 {
			w.flush()
		}
		w.level = w.want
	}
	return w.buf
}

// str appends a string at the current level.
func (w *indenter) str(s string) { w.buf = append(w.b(), s...) }

// byte1 appends a byte at the current level.
func (w *indenter) byte1(c byte) { w.buf = append(w.b(), c) }

// finish flushes the pending text and returns the rendered output, which
// the indenter then forgets (it is pooled; the caller owns the buffer).
func (w *indenter) finish() []byte {
	if len(w.buf) > 0 {
		w.flush()
	}
	out := w.out
	w.out = nil
	return out
}

func (w *indenter) prefix(item bool) {
	if item {
		w.out = appendSpaces(w.out, w.level-2)
		w.out = append(w.out, itemMark...)
		w.out = append(w.out, ' ')
		return
	}
	w.out = appendSpaces(w.out, w.level)
}

func (w *indenter) flush() {
	item := w.first && w.item && w.level >= 2
	w.first = false
	buf := w.buf
	nl := bytes.IndexByte(buf, '\n')
	line := buf
	if nl >= 0 {
		line = buf[:nl]
	}
	if w.start {
		w.start = false
		w.prefix(item)
	}
	w.out = append(w.out, line...)
	for nl >= 0 {
		buf = buf[nl+1:]
		nl = bytes.IndexByte(buf, '\n')
		line = buf
		if nl >= 0 {
			line = buf[:nl]
		}
		w.out = append(w.out, '\n')
		if len(line) > 0 {
			w.prefix(false)
			w.out = append(w.out, line...)
		}
	}
	if w.buf[len(w.buf)-1] == '\n' {
		w.start = true
	}
	w.buf = w.buf[:0]
}

const spaces = "                                "

func appendSpaces(b []byte, n int) []byte {
	for n > len(spaces) {
		b = append(b, spaces...)
		n -= len(spaces)
	}
	if n > 0 {
		b = append(b, spaces[:n]...)
	}
	return b
}

// dec appends an unsigned number in decimal.
func (w *indenter) dec(v uint64) { w.buf = strconv.AppendUint(w.b(), v, 10) }

// sdec appends a signed number in decimal.
func (w *indenter) sdec(v int64) { w.buf = strconv.AppendInt(w.b(), v, 10) }

// hex appends a number in lower-case hexadecimal, without prefix ({:x}).
func (w *indenter) hex(v uint64) { w.buf = strconv.AppendUint(w.b(), v, 16) }

// hex0x appends a number as Rust's {:#x} does: 0x and lower-case digits.
func (w *indenter) hex0x(v uint64) {
	w.buf = strconv.AppendUint(append(w.b(), '0', 'x'), v, 16)
}
