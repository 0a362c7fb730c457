package skbdrop

import (
	"os"
	"testing"

	"github.com/cilium/ebpf/btf"

	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
	"github.com/retis-go/retis/internal/testutils"
)

// Names come from the kernel's enum, whatever values it gives them.
func TestReasonsFromBTF(t *testing.T) {
	core := &btf.Enum{Name: "skb_drop_reason", Size: 4, Values: []btf.EnumValue{
		{Name: "SKB_NOT_DROPPED_YET", Value: 0},
		{Name: "SKB_CONSUMED", Value: 1},
		{Name: "SKB_DROP_REASON_NOT_SPECIFIED", Value: 2},
		{Name: "SKB_DROP_REASON_NETFILTER_DROP", Value: 99},
	}}
	subsys := &btf.Enum{Name: "skb_drop_reason_subsys", Size: 4, Values: []btf.EnumValue{
		{Name: "SKB_DROP_REASON_SUBSYS_CORE", Value: 0},
		{Name: "SKB_DROP_REASON_SUBSYS_MAC80211_UNUSABLE", Value: 1},
		{Name: "SKB_DROP_REASON_SUBSYS_OPENVSWITCH", Value: 3},
		{Name: "SKB_DROP_REASON_SUBSYS_NUM", Value: 4},
	}}
	ovs := &btf.Enum{Name: "ovs_drop_reason", Size: 4, Values: []btf.EnumValue{
		{Name: "OVS_DROP_LAST_ACTION", Value: 3 << 16},
		{Name: "OVS_DROP_ACTION_ERROR", Value: 3<<16 + 1},
	}}
	// Only openvswitch is "loaded".
	modules := func(m string) (*btf.Spec, error) {
		if m != "openvswitch" {
			return nil, os.ErrNotExist
		}
		return testutils.BTFSpec(t, ovs), nil
	}
	c := &Collector{}
	var err error
	if c.subsystems, err = reasons(testutils.BTFSpec(t, core, subsys), modules); err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[int32][2]string{
		99:          {"", "NETFILTER_DROP"},
		2:           {"", "NOT_SPECIFIED"},
		1:           {"", "CONSUMED"},
		0:           {"", "NOT_DROPPED_YET"},
		12:          {"", "12"},
		-1:          {"", "NOT_SPECIFIED"},
		3 << 16:     {"openvswitch", "OVS_DROP_LAST_ACTION"},
		3<<16 + 1:   {"openvswitch", "OVS_DROP_ACTION_ERROR"},
		3<<16 + 7:   {"openvswitch", "196615"},
		1<<16 + 5:   {"mac80211_unusable", "65541"},
		9 << 16:     {"9", "589824"},
		4<<16 + 100: {"4", "262244"},
	} {
		if s, r := c.Reason(raw); s != want[0] || r != want[1] {
			t.Errorf("Reason(%d) = %q %q, want %q %q", raw, s, r, want[0], want[1])
		}
	}

	// Kernels before drop reason subsystems have only core reasons.
	if c.subsystems, err = reasons(testutils.BTFSpec(t, core), nil); err != nil {
		t.Fatal(err)
	}
	if s, r := c.Reason(99); s != "" || r != "NETFILTER_DROP" {
		t.Errorf("without subsystems: %q %q", s, r)
	}
}

func TestDecode(t *testing.T) {
	c := &Collector{subsystems: map[uint16]subsystem{
		0: {reasons: map[uint32]string{12: "NETFILTER_DROP"}},
		3: {name: "openvswitch", reasons: map[uint32]string{3 << 16: "OVS_DROP_LAST_ACTION"}},
	}}
	for raw, want := range map[int32]events.SkbDrop{
		12:      {DropReason: "NETFILTER_DROP"},
		3 << 16: {DropReason: "OVS_DROP_LAST_ACTION", Subsys: ptr("openvswitch")},
	} {
		data := []byte{byte(raw), byte(raw >> 8), byte(raw >> 16), byte(raw >> 24)}
		var e events.Event
		if err := c.Decode(1, data, &e, nil); err != nil {
			t.Fatal(err)
		}
		if e.SkbDrop == nil || e.SkbDrop.DropReason != want.DropReason ||
			(e.SkbDrop.Subsys == nil) != (want.Subsys == nil) ||
			(want.Subsys != nil && *e.SkbDrop.Subsys != *want.Subsys) {
			t.Errorf("%d: %+v, want %+v", raw, e.SkbDrop, want)
		}
	}
	var e events.Event
	if err := c.Decode(1, []byte{1, 2}, &e, nil); err == nil {
		t.Error("a 2-byte section decoded")
	}
}

func ptr[T any](v T) *T { return &v }

// On the running kernel, skb:kfree_skb carries a reason and the names are
// the kernel's: NETFILTER_DROP has the value BTF gives it.
func TestHostReasons(t *testing.T) {
	k := probe.HostKernel()
	types, err := k.Types()
	if err != nil {
		t.Skipf("no kernel BTF: %v", err)
	}
	var enum *btf.Enum
	if err := types.TypeByName("skb_drop_reason", &enum); err != nil {
		t.Skipf("kernel without drop reasons (< 5.17): %v", err)
	}
	c := New()
	if err := c.Init(k); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range enum.Values {
		if v.Name == "SKB_DROP_REASON_NETFILTER_DROP" {
			found = true
			if _, r := c.Reason(int32(v.Value)); r != "NETFILTER_DROP" {
				t.Errorf("value %d names %q", v.Value, r)
			}
		}
	}
	if !found {
		t.Error("no SKB_DROP_REASON_NETFILTER_DROP in the kernel's enum")
	}
}
