package output

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
)

// defaultPager is what Retis runs when PAGER is not set: -F quits when the
// text fits on one screen, -R passes colour escapes, -X leaves the text on
// the screen on exit.
const defaultPager = "less -FRX"

// StartPager pipes what is written to the returned writer through a pager
// writing to out: $PAGER, else `less -FRX`. Like Retis, it does not page
// when NOPAGER is set, when out is not a terminal, or when no pager can be
// run; out is then returned as is, with a Close that does nothing. Close
// the returned writer to wait for the pager to exit.
//
// While the pager runs it owns the terminal: a caller stopping on SIGINT
// should still Close the pager (which waits for the user to leave it)
// before exiting, or the shell prompt comes back under the pager.
func StartPager(out *os.File) (io.WriteCloser, error) {
	if _, set := os.LookupEnv("NOPAGER"); set || !isTerminal(out) {
		return nopCloser{out}, nil
	}
	args := strings.Fields(os.Getenv("PAGER"))
	if len(args) == 0 {
		args = strings.Fields(defaultPager)
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		// No pager available: print directly, as Retis does.
		return nopCloser{out}, nil
	}
	cmd := exec.Command(path, args[1:]...)
	cmd.Stdout = out
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("pager %s: %w", args[0], err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start pager %s: %w", args[0], err)
	}
	return &pager{in: in, cmd: cmd}, nil
}

type pager struct {
	in  io.WriteCloser
	cmd *exec.Cmd
}

func (p *pager) Write(b []byte) (int, error) { return p.in.Write(b) }

// Close ends the pager's input and waits for the user to leave it. A
// pager quit early (EPIPE on our side) is not an error.
func (p *pager) Close() error {
	cerr := p.in.Close()
	werr := p.cmd.Wait()
	var exitErr *exec.ExitError
	if werr != nil && !errors.As(werr, &exitErr) {
		return fmt.Errorf("pager: %w", werr)
	}
	if cerr != nil && !errors.Is(cerr, os.ErrClosed) {
		return fmt.Errorf("pager: %w", cerr)
	}
	return nil
}

type nopCloser struct{ *os.File }

func (nopCloser) Close() error { return nil }
