package nft

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// traceMsg builds an NFT_MSG_TRACE message as the kernel sends it.
func traceMsg(t *testing.T, family uint8, fill func(ae *netlink.AttributeEncoder)) netlink.Message {
	t.Helper()
	ae := netlink.NewAttributeEncoder()
	ae.ByteOrder = binary.BigEndian
	fill(ae)
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return netlink.Message{
		Header: netlink.Header{Type: traceMsgType},
		Data:   append([]byte{family, unix.NFNETLINK_V0, 0, 0}, b...),
	}
}

func verdictAttr(code int32, chain string) func(*netlink.AttributeEncoder) error {
	return func(nae *netlink.AttributeEncoder) error {
		nae.ByteOrder = binary.BigEndian
		nae.Uint32(unix.NFTA_VERDICT_CODE, uint32(code))
		if chain != "" {
			nae.String(unix.NFTA_VERDICT_CHAIN, chain)
		}
		return nil
	}
}

func TestParseTraceRule(t *testing.T) {
	l3 := []byte{0x45, 0, 0, 33, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
	l4 := []byte{0x30, 0x39, 0x27, 0x0f, 0, 13, 0, 0}
	m := traceMsg(t, unix.NFPROTO_INET, func(ae *netlink.AttributeEncoder) {
		ae.String(unix.NFTA_TRACE_TABLE, "filter")
		ae.String(unix.NFTA_TRACE_CHAIN, "input")
		ae.Uint64(unix.NFTA_TRACE_RULE_HANDLE, 7)
		ae.Uint32(unix.NFTA_TRACE_TYPE, unix.NFT_TRACETYPE_RULE)
		ae.Nested(unix.NFTA_TRACE_VERDICT, verdictAttr(unix.NFT_JUMP, "udp_rules"))
		ae.Uint32(unix.NFTA_TRACE_ID, 0xdeadbeef)
		ae.Bytes(unix.NFTA_TRACE_NETWORK_HEADER, l3)
		ae.Bytes(unix.NFTA_TRACE_TRANSPORT_HEADER, l4)
		ae.Uint32(unix.NFTA_TRACE_IIF, 3)
		ae.Uint16(unix.NFTA_TRACE_IIFTYPE, unix.ARPHRD_ETHER)
		ae.Uint32(unix.NFTA_TRACE_MARK, 0x2a)
		ae.Uint32(unix.NFTA_TRACE_NFPROTO, unix.NFPROTO_IPV4)
	})
	tr, err := parseTrace(m)
	if err != nil {
		t.Fatal(err)
	}
	if tr.ID != 0xdeadbeef || tr.Type != TraceRule || tr.Family != unix.NFPROTO_INET ||
		tr.Table != "filter" || tr.Chain != "input" || !tr.HasRuleHandle || tr.RuleHandle != 7 ||
		tr.Verdict != VerdictJump || tr.JumpChain != "udp_rules" || tr.Iif != 3 ||
		tr.IifType != unix.ARPHRD_ETHER || tr.Mark != 0x2a || tr.NFProto != unix.NFPROTO_IPV4 ||
		!tr.HeadersCarried || !bytes.Equal(tr.Headers.Network, l3) || !bytes.Equal(tr.Headers.Transport, l4) {
		t.Fatalf("parsed %+v", tr)
	}
	s := tr.Section()
	if s.Verdict != "jump" || s.VerdictChainName == nil || *s.VerdictChainName != "udp_rules" ||
		s.RuleHandle == nil || *s.RuleHandle != 7 || s.Policy {
		t.Errorf("section %+v", s)
	}
}

func TestParseTracePolicy(t *testing.T) {
	m := traceMsg(t, unix.NFPROTO_IPV4, func(ae *netlink.AttributeEncoder) {
		ae.String(unix.NFTA_TRACE_TABLE, "t")
		ae.String(unix.NFTA_TRACE_CHAIN, "c")
		ae.Uint32(unix.NFTA_TRACE_TYPE, unix.NFT_TRACETYPE_POLICY)
		ae.Uint32(unix.NFTA_TRACE_ID, 1)
		ae.Uint32(unix.NFTA_TRACE_POLICY, 0)
	})
	tr, err := parseTrace(m)
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Policy() || tr.Verdict != VerdictDrop || tr.HasRuleHandle || tr.HeadersCarried {
		t.Fatalf("parsed %+v", tr)
	}
	s := tr.Section()
	if !s.Policy || s.Verdict != "drop" || s.RuleHandle != nil || s.VerdictChainName != nil {
		t.Errorf("section %+v", s)
	}
}

func TestParseTraceErrors(t *testing.T) {
	noPolicy := traceMsg(t, unix.NFPROTO_INET, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(unix.NFTA_TRACE_TYPE, unix.NFT_TRACETYPE_POLICY)
	})
	if _, err := parseTrace(noPolicy); err == nil {
		t.Error("policy event without a policy: no error")
	}
	if _, err := parseTrace(netlink.Message{Header: netlink.Header{Type: traceMsgType}, Data: []byte{1, 0}}); err == nil {
		t.Error("truncated nfgenmsg: no error")
	}
	other := noPolicy
	other.Header.Type = netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_NEWTABLE)
	if _, err := parseTrace(other); err == nil {
		t.Error("not a trace message: no error")
	}
	bad := traceMsg(t, unix.NFPROTO_INET, func(ae *netlink.AttributeEncoder) {
		ae.String(unix.NFTA_TRACE_TABLE, "t")
	})
	bad.Data = append(bad.Data, 0xff, 0xff) // a truncated attribute
	if _, err := parseTrace(bad); err == nil {
		t.Error("truncated attribute: no error")
	}
}

func TestEndOfRules(t *testing.T) {
	for _, tc := range []struct {
		tr   Trace
		want bool
	}{
		{Trace{Type: TraceRule, Verdict: VerdictContinue}, true},
		{Trace{Type: TraceRule, Verdict: VerdictContinue, HasRuleHandle: true, RuleHandle: 4}, false},
		{Trace{Type: TraceRule, Verdict: VerdictAccept}, false},
		{Trace{Type: TraceReturn, Verdict: VerdictContinue}, true},
		{Trace{Type: TraceReturn, Verdict: VerdictReturn, HasRuleHandle: true, RuleHandle: 9}, false},
		{Trace{Type: TracePolicy, Verdict: VerdictAccept}, false},
	} {
		if got := tc.tr.endOfRules(); got != tc.want {
			t.Errorf("%s %s handle %v: endOfRules %v", tc.tr.Type, tc.tr.Verdict, tc.tr.HasRuleHandle, got)
		}
	}
}
