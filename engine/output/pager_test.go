package output

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY returns both ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal support: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// env sets (v non-nil) or unsets a variable for the test.
func env(t *testing.T, key string, v *string) {
	t.Helper()
	t.Setenv(key, "") // restores the original value at the end
	if v == nil {
		os.Unsetenv(key)
		return
	}
	os.Setenv(key, *v)
}

func TestColorEnabled(t *testing.T) {
	_, tty := openPTY(t)
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()

	xterm, dumb, empty, one := ptr("xterm"), ptr("dumb"), ptr(""), ptr("1")
	for _, c := range []struct {
		name          string
		out           *os.File
		term, noColor *string
		want          bool
	}{
		{"terminal", tty, xterm, nil, true},
		{"empty NO_COLOR", tty, xterm, empty, true},
		{"NO_COLOR", tty, xterm, one, false},
		{"dumb terminal", tty, dumb, nil, false},
		{"no TERM", tty, nil, nil, false},
		{"file", file, xterm, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			env(t, "TERM", c.term)
			env(t, "NO_COLOR", c.noColor)
			if got := ColorEnabled(c.out); got != c.want {
				t.Errorf("ColorEnabled = %v, want %v", got, c.want)
			}
		})
	}
}

func TestPagerNotATerminal(t *testing.T) {
	env(t, "PAGER", ptr("false"))
	env(t, "NOPAGER", nil)
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	w, err := StartPager(file)
	if err != nil {
		t.Fatal(err)
	}
	if nc, ok := w.(nopCloser); !ok || nc.File != file {
		t.Fatalf("got %T, want the file itself", w)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := file.WriteString("still open"); err != nil {
		t.Fatalf("Close closed the output: %v", err)
	}
}

func TestPagerDisabled(t *testing.T) {
	_, tty := openPTY(t)
	env(t, "NOPAGER", ptr(""))
	w, err := StartPager(tty)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.(nopCloser); !ok {
		t.Fatalf("NOPAGER set: got %T, want no pager", w)
	}

	env(t, "NOPAGER", nil)
	env(t, "PAGER", ptr("no-such-pager-here"))
	if w, err = StartPager(tty); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.(nopCloser); !ok {
		t.Fatalf("pager not found: got %T, want no pager", w)
	}
}

// TestPager runs a pager on a pseudo-terminal and reads what it shows.
func TestPager(t *testing.T) {
	master, tty := openPTY(t)
	env(t, "NOPAGER", nil)
	// The pager's arguments are split on blanks, as Retis's pager does.
	env(t, "PAGER", ptr("sed s/^/paged:/"))
	w, err := StartPager(tty)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.(*pager); !ok {
		t.Fatalf("got %T, want a pager", w)
	}
	if _, err := io.WriteString(w, "one\ntwo\n"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	var got []byte
	buf := make([]byte, 256)
	_ = master.SetReadDeadline(time.Now().Add(5 * time.Second))
	for !bytes.Contains(got, []byte("paged:two")) {
		n, err := master.Read(buf)
		if err != nil {
			t.Fatalf("read pty: %v (got %q)", err, got)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Contains(got, []byte("paged:one")) {
		t.Errorf("pager output %q lacks the first line", got)
	}
}

// TestPagerQuitEarly checks that a pager leaving before the end is not an
// error for Close, and that writes then fail instead of blocking.
func TestPagerQuitEarly(t *testing.T) {
	_, tty := openPTY(t)
	env(t, "NOPAGER", nil)
	env(t, "PAGER", ptr("true"))
	w, err := StartPager(tty)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("x"), 1<<16)
	var werr error
	for i := 0; i < 64 && werr == nil; i++ {
		_, werr = w.Write(chunk)
	}
	if werr == nil {
		t.Error("writes to a pager that quit kept succeeding")
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
