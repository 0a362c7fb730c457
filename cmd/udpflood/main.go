// Command udpflood floods a UDP port with small datagrams or counts them,
// for the flood ratios of `make bench` (bench/flood.sh), which runs it in
// network namespaces of its own.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/retis-go/retis/internal/flood"
)

func main() {
	send := flag.String("send", "", "send to `ADDR` (host:port)")
	recv := flag.String("recv", "", "count datagrams arriving on `ADDR` (host:port)")
	size := flag.Int("size", 18, "payload bytes per datagram (18: 60-byte frames)")
	duration := flag.Duration("t", 3*time.Second, "send for this long; a receiver gives up after it")
	idle := flag.Duration("idle", 300*time.Millisecond, "a receiver stops this long after the last datagram")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case *send != "" && *recv == "":
		ctx, cancel := context.WithTimeout(ctx, *duration)
		defer cancel()
		var n uint64
		n, err = flood.Send(ctx, *send, *size)
		fmt.Printf("sent=%d rate=%.0f\n", n, float64(n)/duration.Seconds())
	case *recv != "" && *send == "":
		// Room for the sender to start, send and stop.
		ctx, cancel := context.WithTimeout(ctx, *duration+10*time.Second)
		defer cancel()
		var c flood.Count
		c, err = flood.Receive(ctx, *recv, *idle, func(net.Addr) { fmt.Fprintln(os.Stderr, "listening") })
		fmt.Printf("packets=%d span=%.3f rate=%.0f\n", c.Packets, c.Span.Seconds(), c.Rate())
	default:
		err = fmt.Errorf("give one of -send or -recv")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "udpflood:", err)
		os.Exit(1)
	}
}
