package flood

import (
	"context"
	"net"
	"testing"
	"time"
)

// A short flood on loopback arrives, counted no more than sent.
func TestSendReceive(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr := make(chan net.Addr, 1)
	type result struct {
		c   Count
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := Receive(ctx, "127.0.0.1:0", 200*time.Millisecond, func(a net.Addr) { addr <- a })
		done <- result{c, err}
	}()
	a := <-addr
	sctx, scancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer scancel()
	sent, err := Send(sctx, a.String(), 18)
	if err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if sent == 0 || r.c.Packets == 0 || r.c.Packets > sent {
		t.Fatalf("sent %d, received %d", sent, r.c.Packets)
	}
	if r.c.Rate() <= 0 {
		t.Errorf("rate %f over %v", r.c.Rate(), r.c.Span)
	}
	t.Logf("sent %d, received %d (%.0f/s)", sent, r.c.Packets, r.c.Rate())
}

// A receiver that sees nothing stops with its context.
func TestReceiveNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c, err := Receive(ctx, "127.0.0.1:0", 50*time.Millisecond, nil)
	if err != nil || c.Packets != 0 || c.Rate() != 0 {
		t.Fatalf("got %+v, %v", c, err)
	}
}
