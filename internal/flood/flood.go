// Package flood sends and counts a flood of small UDP datagrams, batched
// with sendmmsg and recvmmsg so that the sender's system calls are not
// what limits the packet rate (make bench, flood ratios).
package flood

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// Batch is how many datagrams one sendmmsg or recvmmsg moves.
const Batch = 64

// Send sends datagrams of size bytes of payload to addr until ctx is
// done and returns how many the kernel accepted. A full socket buffer
// (ENOBUFS, EAGAIN) is not an error: the sender just tries again.
func Send(ctx context.Context, addr string, size int) (uint64, error) {
	c, err := net.Dial("udp4", addr)
	if err != nil {
		return 0, fmt.Errorf("flood: dial %s: %w", addr, err)
	}
	defer c.Close()
	pc := ipv4.NewPacketConn(c.(*net.UDPConn))
	payload := make([]byte, size)
	msgs := make([]ipv4.Message, Batch)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{payload}
	}
	var sent uint64
	for ctx.Err() == nil {
		n, err := pc.WriteBatch(msgs, 0)
		sent += uint64(max(n, 0))
		if err != nil && !transient(err) {
			return sent, fmt.Errorf("flood: send: %w", err)
		}
	}
	return sent, nil
}

// transient tells errors a flood meets when it outruns the stack, or the
// receiver is not listening yet.
func transient(err error) bool {
	var se *os.SyscallError
	if !errors.As(err, &se) {
		return false
	}
	return errors.Is(se.Err, unix.ENOBUFS) || errors.Is(se.Err, unix.EAGAIN) || errors.Is(se.Err, unix.ECONNREFUSED)
}

// Count is what Receive saw.
type Count struct {
	// Packets is the number of datagrams received.
	Packets uint64
	// Span is the time between the first and the last datagram.
	Span time.Duration
}

// Rate is packets per second over the span.
func (c Count) Rate() float64 {
	if c.Span <= 0 {
		return 0
	}
	return float64(c.Packets) / c.Span.Seconds()
}

// Receive counts datagrams arriving on addr until ctx is done, or until
// idle passes without a datagram once some arrived. ready, when not nil,
// is called with the bound address once datagrams can arrive.
func Receive(ctx context.Context, addr string, idle time.Duration, ready func(net.Addr)) (Count, error) {
	c, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return Count{}, fmt.Errorf("flood: listen %s: %w", addr, err)
	}
	defer c.Close()
	if ready != nil {
		ready(c.LocalAddr())
	}
	pc := ipv4.NewPacketConn(c)
	msgs := make([]ipv4.Message, Batch)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, 2048)}
	}
	var (
		cnt         Count
		first, last time.Time
	)
	for ctx.Err() == nil {
		wait := 100 * time.Millisecond
		if cnt.Packets > 0 {
			wait = idle
		}
		c.SetReadDeadline(time.Now().Add(wait))
		n, err := pc.ReadBatch(msgs, 0)
		if n > 0 {
			now := time.Now()
			if cnt.Packets == 0 {
				first = now
			}
			last = now
			cnt.Packets += uint64(n)
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if cnt.Packets > 0 {
					break
				}
				continue
			}
			return cnt, fmt.Errorf("flood: receive: %w", err)
		}
	}
	cnt.Span = last.Sub(first)
	return cnt, nil
}
