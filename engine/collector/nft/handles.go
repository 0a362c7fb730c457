package nft

import (
	"encoding/binary"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Attributes google/nftables v0.3.0 does not decode and x/sys/unix lacks.
const (
	nftaTableHandle = 4 // NFTA_TABLE_HANDLE, u64
)

// handleKey names a table (chain == "") or a chain of a namespace.
type handleKey struct {
	family uint8
	table  string
	chain  string
}

// handles resolves table and chain names to their handles. Trace messages
// carry names only, and google/nftables does not expose handles, so it dumps
// tables and chains itself. The cache is dropped whenever the ruleset
// changes (the listener sees the nftables notification group), and filled
// again on the next lookup.
type handles struct {
	conn  *netlink.Conn
	cache map[handleKey]uint64
	valid bool
}

func newHandles(ns *Namespace) (*handles, error) {
	conn, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: ns.FD()})
	if err != nil {
		return nil, fmt.Errorf("netfilter netlink in %s: %w", ns, err)
	}
	return &handles{conn: conn}, nil
}

func (h *handles) close() error { return h.conn.Close() }

// invalidate drops the cache after a ruleset change.
func (h *handles) invalidate() { h.valid = false }

// lookup returns the handles of a table and one of its chains; 0 for a name
// that no longer exists.
func (h *handles) lookup(family uint8, table, chain string) (tableHandle, chainHandle uint64, err error) {
	if !h.valid {
		if err := h.refresh(); err != nil {
			return 0, 0, err
		}
	}
	return h.cache[handleKey{family, table, ""}], h.cache[handleKey{family, table, chain}], nil
}

// dumpAttempts bounds retries of a dump the kernel interrupted because the
// ruleset changed meanwhile.
const dumpAttempts = 3

func (h *handles) refresh() error {
	var err error
	for range dumpAttempts {
		var cache map[handleKey]uint64
		if cache, err = h.dump(); err == nil {
			h.cache, h.valid = cache, true
			return nil
		}
	}
	return fmt.Errorf("resolve nft handles: %w", err)
}

func (h *handles) dump() (map[handleKey]uint64, error) {
	cache := map[handleKey]uint64{}
	tables, err := h.dumpMsgs(unix.NFT_MSG_GETTABLE)
	if err != nil {
		return nil, fmt.Errorf("dump tables: %w", err)
	}
	for _, m := range tables {
		name, handle, err := decodeNamed(m, unix.NFTA_TABLE_NAME, nftaTableHandle)
		if err != nil {
			return nil, fmt.Errorf("table: %w", err)
		}
		cache[handleKey{m.Data[0], name, ""}] = handle
	}
	chains, err := h.dumpMsgs(unix.NFT_MSG_GETCHAIN)
	if err != nil {
		return nil, fmt.Errorf("dump chains: %w", err)
	}
	for _, m := range chains {
		name, handle, err := decodeNamed(m, unix.NFTA_CHAIN_NAME, unix.NFTA_CHAIN_HANDLE)
		if err != nil {
			return nil, fmt.Errorf("chain: %w", err)
		}
		table, _, _ := decodeNamed(m, unix.NFTA_CHAIN_TABLE, 0)
		cache[handleKey{m.Data[0], table, name}] = handle
	}
	return cache, nil
}

func (h *handles) dumpMsgs(msgType uint16) ([]netlink.Message, error) {
	return h.conn.Execute(netlink.Message{
		Header: netlink.Header{
			Type:  netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | msgType),
			Flags: netlink.Request | netlink.Dump,
		},
		Data: []byte{unix.NFPROTO_UNSPEC, unix.NFNETLINK_V0, 0, 0},
	})
}

// decodeNamed reads the name and handle attributes of a table or chain
// message (handleAttr 0: no handle wanted).
func decodeNamed(m netlink.Message, nameAttr, handleAttr uint16) (string, uint64, error) {
	if len(m.Data) < nfgenmsgLen {
		return "", 0, fmt.Errorf("%d bytes, shorter than its nfgenmsg header", len(m.Data))
	}
	ad, err := netlink.NewAttributeDecoder(m.Data[nfgenmsgLen:])
	if err != nil {
		return "", 0, err
	}
	ad.ByteOrder = binary.BigEndian
	var name string
	var handle uint64
	for ad.Next() {
		switch t := ad.Type(); {
		case t == nameAttr:
			name = ad.String()
		case handleAttr != 0 && t == handleAttr:
			handle = ad.Uint64()
		}
	}
	return name, handle, ad.Err()
}
