package nft

import (
	"bytes"
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

type fakeHandles struct {
	invalidated int
	lookups     []string
}

func (f *fakeHandles) lookup(_ uint8, table, chain string) (uint64, uint64, error) {
	f.lookups = append(f.lookups, table+"/"+chain)
	return 10, 20, nil
}
func (f *fakeHandles) invalidate()  { f.invalidated++ }
func (f *fakeHandles) close() error { return nil }

type fakeLinks map[uint32]string

func (f fakeLinks) name(i uint32) string { return f[i] }
func (f fakeLinks) close()               {}

// traceEvent builds a trace message of table/chain with the given type,
// verdict and rule handle (0: none), with headers when l3 is not nil.
func traceEvent(t *testing.T, id uint32, table, chain string, typ uint32, verdict int32, rule uint64, l3 []byte) netlink.Message {
	return traceMsg(t, unix.NFPROTO_INET, func(ae *netlink.AttributeEncoder) {
		ae.String(unix.NFTA_TRACE_TABLE, table)
		ae.String(unix.NFTA_TRACE_CHAIN, chain)
		ae.Uint32(unix.NFTA_TRACE_ID, id)
		ae.Uint32(unix.NFTA_TRACE_TYPE, typ)
		if typ == unix.NFT_TRACETYPE_POLICY {
			ae.Uint32(unix.NFTA_TRACE_POLICY, uint32(verdict))
		} else {
			ae.Nested(unix.NFTA_TRACE_VERDICT, verdictAttr(verdict, ""))
		}
		if rule != 0 {
			ae.Uint64(unix.NFTA_TRACE_RULE_HANDLE, rule)
		}
		if l3 != nil {
			ae.Bytes(unix.NFTA_TRACE_NETWORK_HEADER, l3)
			ae.Uint32(unix.NFTA_TRACE_IIF, 2)
			ae.Uint16(unix.NFTA_TRACE_IIFTYPE, unix.ARPHRD_ETHER)
		}
		ae.Uint32(unix.NFTA_TRACE_NFPROTO, unix.NFPROTO_IPV4)
	})
}

func TestListenerHandle(t *testing.T) {
	_, l3, _ := testPacket{id: 9, sport: 1, dport: 2}.frame(t)
	fh := &fakeHandles{}
	l := &Listener{
		ns:       &Namespace{Spec: "test", Inum: 77},
		handles:  fh,
		links:    fakeLinks{2: "vb"},
		verdicts: DefaultVerdicts,
		headers:  map[uint32]headersEntry{},
		cookie:   5,
	}
	rule, policy := uint32(unix.NFT_TRACETYPE_RULE), uint32(unix.NFT_TRACETYPE_POLICY)
	msgs := []netlink.Message{
		traceEvent(t, 1, TableName, "prerouting", rule, unix.NFT_CONTINUE, 2, l3), // our own chain
		traceEvent(t, 1, TableName, "prerouting", policy, 1, 0, nil),
		traceEvent(t, 1, "filter", "input", rule, unix.NFT_CONTINUE, 0, l3), // end of rules
		traceEvent(t, 1, "filter", "input", policy, 1, 0, nil),
		{Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_NEWTABLE)}},
		traceEvent(t, 2, "filter", "input", rule, 0, 4, nil), // no header ever seen
		traceEvent(t, 1, "filter", "fwd", rule, unix.NFT_JUMP, 6, nil),
	}
	got, err := l.handle(msgs, 1234)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d traces, want the policy accept and the drop: %+v", len(got), got)
	}
	acc, drop := got[0], got[1]
	if acc.Table != "filter" || !acc.Policy() || acc.Verdict != VerdictAccept || acc.HeadersCarried ||
		!bytes.Equal(acc.Headers.Network, l3) || acc.Iif != 2 || acc.IifName != "vb" ||
		acc.TableHandle != 10 || acc.ChainHandle != 20 || acc.Received != 1234 || acc.Netns != 77 || acc.NetnsCookie != 5 {
		t.Errorf("policy accept %+v: want headers and iif remembered from the chain's first event", acc)
	}
	if drop.ID != 2 || drop.Verdict != VerdictDrop || len(drop.Headers.Network) != 0 || drop.RuleHandle != 4 {
		t.Errorf("drop %+v", drop)
	}
	if fh.invalidated != 1 {
		t.Errorf("handle cache invalidated %d times, want once for the table notification", fh.invalidated)
	}
	if len(fh.lookups) != 2 {
		t.Errorf("handles looked up for %v, want only the returned traces", fh.lookups)
	}

	l.verdicts = ^VerdictSet(0)
	l.keepOwn = true
	got, err = l.handle(msgs, 1235)
	if err != nil {
		t.Fatal(err)
	}
	// All but the end-of-rules marker and the table notification.
	if len(got) != 5 {
		t.Fatalf("all verdicts, own table kept: got %d traces, want 5", len(got))
	}
	if got[4].Verdict != VerdictJump || got[4].Iif != 2 {
		t.Errorf("jump %+v: headers of trace 1 should still be remembered", got[4])
	}

	l.sweep(1235 + headersTTL + 1)
	if len(l.headers) != 0 {
		t.Errorf("headers of %d trace ids kept past their TTL", len(l.headers))
	}
}
