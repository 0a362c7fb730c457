package nft

import (
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// links names the devices of a namespace by ifindex, for the dev section of
// verdicts that could not be joined to a packet event. Names are cached:
// a device renamed during a collection keeps its first name.
type links struct {
	h     *netlink.Handle
	names map[uint32]string
}

func newLinks(ns *Namespace) (*links, error) {
	h, err := netlink.NewHandleAt(netns.NsHandle(ns.FD()))
	if err != nil {
		return nil, fmt.Errorf("rtnetlink in %s: %w", ns, err)
	}
	return &links{h: h, names: map[uint32]string{}}, nil
}

// name returns the device's name, "" for index 0 or a device gone.
func (l *links) name(ifindex uint32) string {
	if ifindex == 0 {
		return ""
	}
	if n, ok := l.names[ifindex]; ok {
		return n
	}
	var n string
	if link, err := l.h.LinkByIndex(int(ifindex)); err == nil {
		n = link.Attrs().Name
	}
	l.names[ifindex] = n
	return n
}

func (l *links) close() { l.h.Close() }
