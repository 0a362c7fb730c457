package ns

import (
	"testing"
	"unsafe"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

func TestDecode(t *testing.T) {
	raw := bpf.ProbeNsEvent{Cookie: 3, Inum: 4026531840}
	data := unsafe.Slice((*byte)(unsafe.Pointer(&raw)), unsafe.Sizeof(raw))
	for _, cookie := range []bool{true, false} {
		c := &Collector{cookie: cookie}
		var e events.Event
		if err := c.Decode(0, data, &e, nil); err != nil {
			t.Fatal(err)
		}
		if e.Netns.Inum != 4026531840 || (e.Netns.Cookie != nil) != cookie || (cookie && *e.Netns.Cookie != 3) {
			t.Errorf("cookie %v: %+v", cookie, e.Netns)
		}
	}
}

// Linux >= 5.14 has net cookies; this project's kernels all do.
func TestInitHost(t *testing.T) {
	c := New()
	if err := c.Init(probe.HostKernel()); err != nil {
		t.Fatal(err)
	}
	if !c.cookie {
		t.Error("struct net has no net_cookie on this kernel")
	}
}
