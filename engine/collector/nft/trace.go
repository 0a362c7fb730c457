package nft

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// TraceType is where in a chain a trace event was emitted.
type TraceType uint32

// Trace types (enum nft_trace_types).
const (
	TraceUnspec TraceType = unix.NFT_TRACETYPE_UNSPEC
	TracePolicy TraceType = unix.NFT_TRACETYPE_POLICY
	TraceReturn TraceType = unix.NFT_TRACETYPE_RETURN
	TraceRule   TraceType = unix.NFT_TRACETYPE_RULE
)

// String returns the name nft uses for the type.
func (t TraceType) String() string {
	switch t {
	case TracePolicy:
		return "policy"
	case TraceReturn:
		return "return"
	case TraceRule:
		return "rule"
	}
	return "unspec"
}

// Headers are the first bytes of a traced packet's headers, as the kernel
// sends them with the first trace event of each base chain.
type Headers struct {
	Link      []byte // at most 20 bytes (Ethernet header, VLAN tag included)
	Network   []byte // at most 40 bytes from the network header
	Transport []byte // at most 20 bytes from the transport header
}

// empty tells whether no header was captured.
func (h Headers) empty() bool {
	return len(h.Link) == 0 && len(h.Network) == 0 && len(h.Transport) == 0
}

// Trace is one nf_tables trace event (NFT_MSG_TRACE).
type Trace struct {
	// ID identifies the packet traversal: a keyed hash of the skb address,
	// so it repeats when an skb is reused on the same flow.
	ID     uint32
	Type   TraceType
	Family uint8 // table family (NFPROTO_INET, NFPROTO_IPV4, ...)
	Table  string
	Chain  string
	// TableHandle and ChainHandle are resolved from the names by the
	// listener; 0 when the table or chain vanished before resolution.
	TableHandle uint64
	ChainHandle uint64
	// RuleHandle is set when the event comes from a rule.
	RuleHandle    uint64
	HasRuleHandle bool
	// Verdict is the rule's verdict, or the chain policy for Policy events.
	Verdict Verdict
	// JumpChain is the target of a jump or goto verdict.
	JumpChain string
	Iif       uint32
	IifType   uint16 // ARPHRD_* of the input device
	Oif       uint32
	OifType   uint16
	// IifName and OifName are the devices' names, resolved by the
	// listener in the trace's namespace ("" if gone meanwhile).
	IifName string
	OifName string
	Mark    uint32
	NFProto uint8 // packet family for inet tables (NFPROTO_IPV4/IPV6)
	// Headers of the packet; filled from an earlier event of the same
	// trace id when this one carries none (see HeadersCarried).
	Headers Headers
	// HeadersCarried tells whether this message carried the headers itself.
	HeadersCarried bool

	// Received is the CLOCK_MONOTONIC time (ns) the listener read the
	// message: an upper bound of when the verdict was given.
	Received uint64
	// Netns is the inode number of the namespace the packet was traced in.
	Netns uint32
	// NetnsCookie is that namespace's cookie, 0 if the kernel has none.
	NetnsCookie uint64
}

// Policy tells whether the verdict is the chain's policy.
func (t *Trace) Policy() bool { return t.Type == TracePolicy }

// endOfRules tells whether the event only marks that the packet went past
// the last rule of a chain, base or jumped to (nft never shows these): a
// continue verdict without a rule. Older kernels (6.1) send it as a return
// event, newer ones (6.12, 6.18) as a rule event. What follows tells what happened: the
// policy of a base chain, the next rule of the chain that jumped.
func (t *Trace) endOfRules() bool {
	return (t.Type == TraceRule || t.Type == TraceReturn) && t.Verdict == VerdictContinue && !t.HasRuleHandle
}

// nft message type of a trace, as carried in the netlink header.
const traceMsgType = netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_TRACE)

// nfgenmsgLen is the size of struct nfgenmsg, which precedes the attributes.
const nfgenmsgLen = 4

var errNotTrace = errors.New("not an nft trace message")

// parseTrace decodes a NFT_MSG_TRACE message.
func parseTrace(m netlink.Message) (*Trace, error) {
	if m.Header.Type != traceMsgType {
		return nil, fmt.Errorf("%w: type %#x", errNotTrace, uint16(m.Header.Type))
	}
	if len(m.Data) < nfgenmsgLen {
		return nil, fmt.Errorf("trace message: %d bytes, shorter than its nfgenmsg header", len(m.Data))
	}
	t := &Trace{Family: m.Data[0]}
	ad, err := netlink.NewAttributeDecoder(m.Data[nfgenmsgLen:])
	if err != nil {
		return nil, fmt.Errorf("trace message: %w", err)
	}
	ad.ByteOrder = binary.BigEndian
	hasPolicy := false
	var policy uint32
	for ad.Next() {
		switch ad.Type() {
		case unix.NFTA_TRACE_TABLE:
			t.Table = ad.String()
		case unix.NFTA_TRACE_CHAIN:
			t.Chain = ad.String()
		case unix.NFTA_TRACE_RULE_HANDLE:
			t.RuleHandle, t.HasRuleHandle = ad.Uint64(), true
		case unix.NFTA_TRACE_TYPE:
			t.Type = TraceType(ad.Uint32())
		case unix.NFTA_TRACE_VERDICT:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				nad.ByteOrder = binary.BigEndian
				for nad.Next() {
					switch nad.Type() {
					case unix.NFTA_VERDICT_CODE:
						t.Verdict = verdictFromCode(nad.Uint32())
					case unix.NFTA_VERDICT_CHAIN:
						t.JumpChain = nad.String()
					}
				}
				return nad.Err()
			})
		case unix.NFTA_TRACE_ID:
			t.ID = ad.Uint32()
		case unix.NFTA_TRACE_LL_HEADER:
			t.Headers.Link = ad.Bytes()
		case unix.NFTA_TRACE_NETWORK_HEADER:
			t.Headers.Network = ad.Bytes()
		case unix.NFTA_TRACE_TRANSPORT_HEADER:
			t.Headers.Transport = ad.Bytes()
		case unix.NFTA_TRACE_IIF:
			t.Iif = ad.Uint32()
		case unix.NFTA_TRACE_IIFTYPE:
			t.IifType = ad.Uint16()
		case unix.NFTA_TRACE_OIF:
			t.Oif = ad.Uint32()
		case unix.NFTA_TRACE_OIFTYPE:
			t.OifType = ad.Uint16()
		case unix.NFTA_TRACE_MARK:
			t.Mark = ad.Uint32()
		case unix.NFTA_TRACE_NFPROTO:
			t.NFProto = uint8(ad.Uint32())
		case unix.NFTA_TRACE_POLICY:
			policy, hasPolicy = ad.Uint32(), true
		}
	}
	if err := ad.Err(); err != nil {
		return nil, fmt.Errorf("trace message: %w", err)
	}
	if t.Type == TracePolicy {
		if !hasPolicy {
			return nil, fmt.Errorf("trace message: policy event of chain %s without a policy", t.Chain)
		}
		t.Verdict = verdictFromCode(policy)
	}
	t.HeadersCarried = !t.Headers.empty()
	return t, nil
}
