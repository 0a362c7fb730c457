package dev

import (
	"testing"
	"unsafe"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/events"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name string
		rx   uint32
	}{{"eth0", 0}, {"veth-ns01-ovs", 10}, {"exactly16bytes!!", 3}} {
		raw := bpf.ProbeDevEvent{Ifindex: 10, RxIfindex: tc.rx}
		for i := 0; i < len(tc.name) && i < 16; i++ {
			raw.Name[i] = int8(tc.name[i])
		}
		var e events.Event
		if err := New().Decode(1, unsafe.Slice((*byte)(unsafe.Pointer(&raw)), unsafe.Sizeof(raw)), &e, nil); err != nil {
			t.Fatal(err)
		}
		if e.Dev.Name != tc.name || e.Dev.Ifindex != 10 {
			t.Errorf("dev %+v, want %s", e.Dev, tc.name)
		}
		if (e.Dev.RxIfindex == nil) != (tc.rx == 0) || (tc.rx != 0 && *e.Dev.RxIfindex != tc.rx) {
			t.Errorf("rx_ifindex %v, want %d (absent when 0)", e.Dev.RxIfindex, tc.rx)
		}
	}
}
