package collect

import (
	"context"
	"log/slog"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/retis-go/retis/bpf"
)

const (
	gcInterval = 5 * time.Second
	// gcAge is how long a packet may go unseen before its tracking
	// entry is dropped: its free was missed (no hook saw it).
	gcAge = 60 * time.Second
)

func monotonicNow() uint64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}

// collectGarbage removes tracking entries not seen for age and returns
// how many it removed.
func collectGarbage(m *ebpf.Map, now uint64, age time.Duration) int {
	var (
		key   uint64
		info  bpf.ProbeTrackingInfo
		stale []uint64
	)
	it := m.Iterate()
	for it.Next(&key, &info) {
		if now > info.LastSeen && now-info.LastSeen > uint64(age) {
			stale = append(stale, key)
		}
	}
	for _, k := range stale {
		_ = m.Delete(k)
	}
	return len(stale)
}

// trackingGC runs collectGarbage every gcInterval until ctx ends.
func trackingGC(ctx context.Context, m *ebpf.Map, log *slog.Logger) {
	t := time.NewTicker(gcInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n := collectGarbage(m, monotonicNow(), gcAge); n > 0 {
				log.Debug("removed stale tracking entries", "count", n)
			}
		}
	}
}
