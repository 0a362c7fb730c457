package collector

import (
	"sync"
	"testing"
)

func TestNames(t *testing.T) {
	var n Names
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 1000 {
				var b [16]byte
				name := []string{"eth0", "veth-ns01-ovs", "exactly16bytes!!", ""}[(i+j)%4]
				copy(b[:], name)
				if got := n.Get(&b); got != name {
					t.Errorf("Get(%q) = %q", name, got)
					return
				}
			}
		})
	}
	wg.Wait()
	var b [16]byte
	copy(b[:], "eth0")
	if allocs := testing.AllocsPerRun(100, func() { n.Get(&b) }); allocs != 0 {
		t.Errorf("%v allocations for a known name", allocs)
	}
}
