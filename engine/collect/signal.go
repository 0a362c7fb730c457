package collect

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// forced holds what must be undone even when a second signal exits at
// once: the kernel releases BPF objects with our file descriptors, but
// not the nft tables a collection added.
var forced struct {
	sync.Mutex
	next int
	fns  map[int]func()
}

// onForcedExit registers fn to run before a forced exit; the returned
// function unregisters it.
func onForcedExit(fn func()) (unregister func()) {
	forced.Lock()
	defer forced.Unlock()
	if forced.fns == nil {
		forced.fns = map[int]func(){}
	}
	id := forced.next
	forced.next++
	forced.fns[id] = fn
	return func() {
		forced.Lock()
		delete(forced.fns, id)
		forced.Unlock()
	}
}

func runForcedExit() {
	forced.Lock()
	fns := make([]func(), 0, len(forced.fns))
	for _, fn := range forced.fns {
		fns = append(fns, fn)
	}
	forced.Unlock()
	done := make(chan struct{})
	go func() {
		for _, fn := range fns {
			fn()
		}
		close(done)
	}()
	// The user asked to exit now: do not hang on a cleanup that hangs.
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		fmt.Fprintln(os.Stderr, "cleanup did not finish in 5s")
	}
}

// SignalContext returns a context cancelled by the first SIGINT or
// SIGTERM, so a collection stops cleanly; a second one exits the process
// at once (the kernel detaches everything when our file descriptors
// close). stop releases the signal handlers.
func SignalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-ch:
			fmt.Fprintln(os.Stderr, "second signal: exiting without draining events")
			runForcedExit()
			code := 130
			if sig == syscall.SIGTERM {
				code = 143
			}
			os.Exit(code)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}
