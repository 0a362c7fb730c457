package directio

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// lines returns n newline-terminated lines of varied length, as events are.
func lines(n int, seed uint64) [][]byte {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([][]byte, n)
	for i := range out {
		l := make([]byte, 1+r.IntN(1500))
		for j := range l {
			l[j] = byte('a' + r.IntN(26))
		}
		l[len(l)-1] = '\n'
		out[i] = l
	}
	return out
}

// writeAll writes ls to a new file in dir, flushing after the lines whose
// index is in flushAt, and returns what the file must hold.
func writeAll(t *testing.T, path string, ls [][]byte, flushAt map[int]bool, buffered bool) ([]byte, *File) {
	t.Helper()
	f, err := Create(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if buffered {
		plain(t, f)
	}
	var want bytes.Buffer
	for i, l := range ls {
		if _, err := f.Write(l); err != nil {
			t.Fatal(err)
		}
		want.Write(l)
		if flushAt[i] {
			if err := f.Flush(); err != nil {
				t.Fatal(err)
			}
			if f.stream {
				continue // what it holds is the reader's
			}
			// A flushed file holds everything written so far.
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("after flush at line %d: file has %d bytes, want %d", i, len(got), want.Len())
			}
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return want.Bytes(), f
}

// plain turns direct I/O off, as a file system refusing it would.
func plain(tb testing.TB, f *File) {
	f.direct.Store(false)
	if err := f.setDirect(false); err != nil {
		tb.Fatal(err)
	}
}

func TestContents(t *testing.T) {
	for _, buffered := range []bool{false, true} {
		t.Run(map[bool]string{false: "direct", true: "buffered"}[buffered], func(t *testing.T) {
			dir := t.TempDir()
			// ~6 chunks, with flushes at unaligned points (the tail
			// written through the page cache, then rewritten directly)
			// and one right after another.
			ls := lines(16000, 7)
			flushAt := map[int]bool{0: true, 1: true, 2999: true, 3000: true, 9000: true}
			path := filepath.Join(dir, "out")
			want, f := writeAll(t, path, ls, flushAt, buffered)
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("file has %d bytes, want %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
			}
			t.Logf("%d bytes, direct I/O: %v", len(want), f.Direct())
		})
	}
}

// On a file system that takes direct I/O, written chunks must not be
// left in the page cache: that copy is what the package avoids.
func TestBypassesPageCache(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	f, err := Create(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Direct() {
		f.Close()
		t.Skipf("the file system of %s is in memory or refuses direct I/O", dir)
	}
	block := bytes.Repeat([]byte("0123456789abcde\n"), 4096)
	for range 64 { // 4 MiB
		if _, err := f.Write(block); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Write([]byte("tail\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	st, _ := rf.Stat()
	m, err := unix.Mmap(int(rf.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	pages := (len(m) + os.Getpagesize() - 1) / os.Getpagesize()
	vec := make([]byte, pages)
	// x/sys has no wrapper for mincore(2).
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	resident := 0
	for _, v := range vec {
		resident += int(v & 1)
	}
	// Only the tail went through the page cache.
	if resident > 1 {
		t.Fatalf("%d of %d pages of the file are in the page cache, want at most the tail's", resident, pages)
	}
}

// A write error (here the device is full) reaches the caller, at the
// latest when the file is closed.
func TestWriteError(t *testing.T) {
	f, err := Create("/dev/full", 0o600)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	b := make([]byte, ChunkSize/2)
	var werr error
	for range 6 {
		if _, werr = f.Write(b); werr != nil {
			break
		}
	}
	cerr := f.Close()
	if !errors.Is(werr, unix.ENOSPC) && !errors.Is(cerr, unix.ENOSPC) {
		t.Fatalf("write error %v, close error %v: want ENOSPC from one", werr, cerr)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func BenchmarkWrite(b *testing.B) {
	for _, mode := range []string{"direct", "buffered"} {
		b.Run(mode, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "out")
			line := bytes.Repeat([]byte("x"), 799)
			line = append(line, '\n')
			var (
				f   *File
				err error
			)
			f, err = Create(path, 0o600)
			if err != nil {
				b.Fatal(err)
			}
			if mode == "buffered" {
				plain(b, f)
			} else if !f.Direct() {
				b.Skip("no direct I/O here")
			}
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				f.Write(line)
			}
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// A FIFO (retis collect -o /dev/stdout into a pipe, or -o <(...)) is
// written in order with write(2): no offsets, no direct I/O.
func TestFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan []byte)
	go func() {
		r, err := os.Open(path)
		if err != nil {
			got <- nil
			return
		}
		defer r.Close()
		var b bytes.Buffer
		b.ReadFrom(r)
		got <- b.Bytes()
	}()
	ls := lines(6000, 3)
	want, f := writeAll(t, path, ls, map[int]bool{10: true, 4000: true}, false)
	if f.Direct() {
		t.Error("direct I/O on a FIFO")
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("read %d bytes from the FIFO, want %d (first difference at %d)", len(b), len(want), firstDiff(b, want))
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the FIFO is gone: %v", err)
	}
}
