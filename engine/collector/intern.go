package collector

import (
	"sync"
	"sync/atomic"
)

// Names interns short NUL-padded names (task comms, device names): the
// few distinct ones of a collection become one string each instead of an
// allocation per event. Lookups take no lock; adding a name copies the
// table, which only happens a few times per collection. It is safe for
// concurrent use.
type Names struct {
	mu sync.Mutex
	m  atomic.Pointer[map[[16]byte]string]
}

// Get returns the string before the first NUL of b.
func (n *Names) Get(b *[16]byte) string {
	if m := n.m.Load(); m != nil {
		if s, ok := (*m)[*b]; ok {
			return s
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	old := n.m.Load()
	if old != nil {
		if s, ok := (*old)[*b]; ok {
			return s
		}
	}
	l := 0
	for l < len(b) && b[l] != 0 {
		l++
	}
	s := string(b[:l])
	// A collection sees few names; past that, stop caching rather than
	// grow without bound (comms of short-lived tasks, for instance).
	if old != nil && len(*old) >= 4096 {
		return s
	}
	m := make(map[[16]byte]string, 1)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[*b] = s
	n.m.Store(&m)
	return s
}
