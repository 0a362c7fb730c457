package nft

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/retis-go/retis/engine/events"
)

// Kernel section values of nft events, by source.
//
// The kprobe source writes what Retis writes ([k] __nft_trace_packet). The
// netlink source did not probe any function: its events are the kernel's
// own trace notifications (NFT_MSG_TRACE), a fixed event stream like a
// tracepoint, so it says raw_tracepoint (the only non-function probe type
// the kernel section knows) and names the notification in tracepoint form,
// subsystem:event. The text then reads `[tp] nf_tables:trace`, which no real
// probe can be confused with, and scripts can tell the sources apart while
// the nft section means the same for both.
const (
	SymbolKprobe  = traceFunc
	ProbeKprobe   = events.ProbeKprobe
	SymbolNetlink = "nf_tables:trace"
	ProbeNetlink  = events.ProbeRawTracepoint
)

// Section returns the nft section of a trace event, as Retis writes it.
func (t *Trace) Section() *events.Nft {
	s := &events.Nft{
		TableName:   t.Table,
		ChainName:   t.Chain,
		Verdict:     t.Verdict.String(),
		TableHandle: int64(t.TableHandle),
		ChainHandle: int64(t.ChainHandle),
		Policy:      t.Policy(),
	}
	if t.HasRuleHandle {
		h := int64(t.RuleHandle)
		s.RuleHandle = &h
	}
	if (t.Verdict == VerdictJump || t.Verdict == VerdictGoto) && t.JumpChain != "" {
		c := t.JumpChain
		s.VerdictChainName = &c
	}
	return s
}

// Event returns the event of a trace on its own, with what the trace
// carries: receive time, namespace, device and the packet headers. The
// Joiner uses it for verdicts it could not place in a packet's series.
func (t *Trace) Event() *events.Event {
	e := &events.Event{
		Common: &events.Common{Timestamp: t.Received},
		Kernel: &events.Kernel{Symbol: SymbolNetlink, ProbeType: ProbeNetlink},
		Netns:  &events.Netns{Inum: t.Netns},
		Nft:    t.Section(),
	}
	if t.NetnsCookie != 0 {
		c := t.NetnsCookie
		e.Netns.Cookie = &c
	}
	if ifindex := t.device(); ifindex != 0 {
		e.Dev = &events.Dev{Ifindex: ifindex, Name: t.deviceName()}
		if t.Iif != 0 {
			rx := t.Iif
			e.Dev.RxIfindex = &rx
		}
	}
	e.Packet = t.packet()
	return e
}

// device is the device the packet was on: the output one once known.
func (t *Trace) device() uint32 {
	if t.Oif != 0 {
		return t.Oif
	}
	return t.Iif
}

func (t *Trace) deviceName() string {
	if t.Oif != 0 {
		return t.OifName
	}
	return t.IifName
}

// packet rebuilds a packet section from the trace headers: the Ethernet
// header when the trace has one (else a zeroed one, as Retis fakes it),
// the network header and, when the network header is whole, the transport
// bytes that follow it.
func (t *Trace) packet() *events.Packet {
	l3 := t.Headers.Network
	hlen := networkHeaderLen(l3)
	if hlen == 0 || hlen > len(l3) {
		return nil
	}
	var total int
	etype := uint16(ethPIPv4)
	if l3[0]>>4 == 6 {
		etype = ethPIPv6
		total = ipv6HdrLen + int(binary.BigEndian.Uint16(l3[4:6]))
	} else {
		total = int(binary.BigEndian.Uint16(l3[2:4]))
	}
	var data []byte
	if link := t.Headers.Link; t.IifType == unix.ARPHRD_ETHER &&
		(len(link) == ethHdrLen || len(link) == ethHdrLen+vlanHdrLen) {
		data = append(data, link...)
	} else {
		data = make([]byte, ethHdrLen)
		binary.BigEndian.PutUint16(data[12:14], etype)
	}
	l2 := len(data)
	data = append(data, l3...)
	if hlen == len(l3) {
		data = append(data, t.Headers.Transport...)
	}
	return &events.Packet{
		Len:        uint32(l2 + max(total, len(data)-l2)),
		CaptureLen: uint32(len(data)),
		Data:       data,
	}
}
