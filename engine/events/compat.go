package events

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"
)

// Layout is an event file layout version. Retis changed its JSON layout in
// 1.6 (packet, dev and netns left the skb section) and 1.7 (startup gained
// cmdline and machine, ct tcp_state became proto_state).
type Layout int

// Known layouts; LayoutLatest is the one this package models and writes.
const (
	Layout15 Layout = iota
	Layout16
	Layout17
	LayoutLatest = Layout17
)

// WriterVersion is the retis_version we write in startup events: the
// Retis layout we follow, with our own build after '+', which Retis's
// version parser ignores.
const WriterVersion = "v1.7.0+retis-go"

// LayoutOf maps a retis_version string to its layout.
func LayoutOf(version string) (Layout, error) {
	v := strings.TrimPrefix(version, "v")
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return 0, fmt.Errorf("invalid Retis version %q", version)
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 {
			return 0, fmt.Errorf("invalid Retis version %q", version)
		}
		n[i] = x
	}
	switch {
	case n[0] > 1 || (n[0] == 1 && n[1] >= 7):
		return Layout17, nil
	case n[0] == 1 && n[1] == 6:
		return Layout16, nil
	case n[0] == 1 && n[1] == 5:
		return Layout15, nil
	}
	return 0, fmt.Errorf("unsupported Retis version %s: files from Retis 1.5 and later can be read", version)
}

// obj is a decoded JSON object used only on the (rare) upgrade path.
type obj = map[string]any

func get(o obj, path ...string) (any, bool) {
	var cur any = o
	for _, p := range path {
		m, ok := cur.(obj)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func parent(o obj, path []string) (obj, bool) {
	v, ok := get(o, path[:len(path)-1]...)
	if !ok {
		return nil, false
	}
	m, ok := v.(obj)
	return m, ok
}

// move relocates a member; nothing happens when the source is absent or
// the destination's parent does not exist.
func move(o obj, from, to string) {
	fp, tp := strings.Split(from, "/"), strings.Split(to, "/")
	src, ok := parent(o, fp)
	if !ok {
		return
	}
	v, ok := src[fp[len(fp)-1]]
	if !ok {
		return
	}
	dst, ok := parent(o, tp)
	if !ok {
		return
	}
	delete(src, fp[len(fp)-1])
	dst[tp[len(tp)-1]] = v
}

// add sets a member when its parent exists and it is missing.
func add(o obj, path string, v any) {
	p := strings.Split(path, "/")
	m, ok := parent(o, p)
	if !ok {
		return
	}
	if _, ok := m[p[len(p)-1]]; !ok {
		m[p[len(p)-1]] = v
	}
}

// upgradeObject applies the layout changes made after 'from', in order.
func upgradeObject(o obj, from Layout) {
	if from < Layout16 {
		add(o, "ct/ct_status", 0)
		move(o, "skb/packet/packet", "skb/packet/raw")
		move(o, "skb/ns/netns", "skb/ns/inum")
		move(o, "skb/packet", "packet")
		move(o, "skb/dev", "dev")
		move(o, "skb/ns", "netns")
		move(o, "packet/raw", "packet/data")
	}
	if from < Layout17 {
		add(o, "startup/machine", obj{})
		add(o, "startup/machine/kernel_release", "unknown")
		add(o, "startup/machine/kernel_version", "unknown")
		add(o, "startup/machine/hardware_name", "unknown")
		add(o, "startup/cmdline", "unknown")
		move(o, "ct/tcp_state", "ct/proto_state")
		move(o, "ct/parent/tcp_state", "ct/parent/proto_state")
	}
	upgradeFlatSkb(o)
}

// upgradeFlatSkb lifts the device and namespace of the pre-1.5 flat skb
// section (dev_name, ifindex, rx_ifindex, netns) into the dev and netns
// sections, which Retis itself silently drops. The other flat members
// (addresses, ports) have no home in the current layout: the packet
// section carries them now, and it cannot be rebuilt from them.
func upgradeFlatSkb(o obj) {
	skb, ok := o[SecSkb].(obj)
	if !ok {
		return
	}
	if _, ok := o[SecDev]; !ok {
		if name, ok := skb["dev_name"]; ok {
			dev := obj{"name": name}
			if v, ok := skb["ifindex"]; ok {
				dev["ifindex"] = v
			} else {
				dev["ifindex"] = 0
			}
			if v, ok := skb["rx_ifindex"]; ok {
				dev["rx_ifindex"] = v
			}
			o[SecDev] = dev
		}
	}
	if _, ok := o[SecNetns]; !ok {
		if v, ok := skb["netns"]; ok {
			if _, isNum := v.(json.Number); isNum {
				o[SecNetns] = obj{"inum": v}
			}
		}
	}
	for k := range skb {
		switch k {
		case "vlan_accel", "meta", "data_ref", "gso":
		default:
			delete(skb, k)
		}
	}
}

// needsUpgrade tells whether a line of an older layout holds anything the
// upgrade changes. Most lines of a 1.6 file do not (only the startup and
// ct sections changed in 1.7), and the generic upgrade costs ten times a
// plain decode, so this byte search keeps reading old files fast.
func needsUpgrade(line []byte, from Layout) bool {
	if from >= LayoutLatest {
		return false
	}
	keys := upgradeKeys16
	if from < Layout16 {
		keys = upgradeKeys15
	}
	for _, k := range keys {
		if bytes.Contains(line, k) {
			return true
		}
	}
	return false
}

var (
	// Members touched by the 1.6 → 1.7 upgrade, and the pre-1.5 flat skb.
	upgradeKeys16 = [][]byte{[]byte(`"startup"`), []byte(`"tcp_state"`), []byte(`"dev_name"`)}
	// In 1.5 packet, dev and ns lived in skb and ct lacked ct_status.
	upgradeKeys15 = append([][]byte{[]byte(`"packet"`), []byte(`"dev"`), []byte(`"ns"`), []byte(`"ct"`)}, upgradeKeys16...)
)

// Upgrade decodes an event written in an older layout.
func Upgrade(line []byte, from Layout) (*Event, error) {
	if !needsUpgrade(line, from) {
		e := new(Event)
		return e, e.UnmarshalJSON(line)
	}
	var o obj
	dec := json.NewDecoder(strings.NewReader(string(line)))
	dec.UseNumber()
	if err := dec.Decode(&o); err != nil {
		return nil, err
	}
	if o == nil {
		return nil, ErrNotObject
	}
	upgradeObject(o, from)
	b, err := marshalOrdered(o, line)
	if err != nil {
		return nil, err
	}
	e := new(Event)
	return e, e.UnmarshalJSON(b)
}

// marshalOrdered re-encodes an upgraded object, keeping the original
// order of unknown top-level sections (known ones are re-ordered by the
// Event encoder anyway).
func marshalOrdered(o obj, orig []byte) ([]byte, error) {
	b := []byte{'{'}
	first := true
	emit := func(k string, v any) error {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		kb, _ := json.Marshal(k)
		b = append(b, kb...)
		b = append(b, ':')
		b = append(b, raw...)
		return nil
	}
	seen := map[string]bool{}
	err := splitObject(orig, func(k string, _ []byte) error {
		v, ok := o[k]
		if !ok || seen[k] {
			return nil
		}
		seen[k] = true
		return emit(k, v)
	})
	if err != nil {
		return nil, err
	}
	for k, v := range o {
		if !seen[k] {
			if err := emit(k, v); err != nil {
				return nil, err
			}
		}
	}
	return append(b, '}'), nil
}
