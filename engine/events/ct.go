package events

import (
	json "github.com/goccy/go-json"
)

// Ct is the conntrack entry attached to an skb. Its base connection is
// inlined in the JSON object, the parent (for related connections) is not.
type Ct struct {
	// State is one of established, related, new, reply, related_reply,
	// untracked.
	State string `json:"state"`
	CtConn
	Parent *CtConn `json:"parent,omitempty"`

	// missingStatus records that the file lacked the mandatory ct_status
	// (Retis refuses such events; we keep them and warn).
	missingStatus bool
}

// CtConn is one conntrack connection.
type CtConn struct {
	ZoneID uint16 `json:"zone_id"`
	// ZoneDir is one of Original, Reply, Default, None.
	ZoneDir    string  `json:"zone_dir"`
	Orig       CtTuple `json:"orig"`
	Reply      CtTuple `json:"reply"`
	ProtoState *string `json:"proto_state,omitempty"`
	Mark       *uint32 `json:"mark,omitempty"`
	Labels     *U128   `json:"labels,omitempty"`
	CtStatus   uint64  `json:"ct_status"`
}

// CtTuple is one direction of a connection.
type CtTuple struct {
	IP    CtIP    `json:"ip"`
	Proto CtProto `json:"proto"`
}

// CtIP holds the addresses of a tuple; Version is v4 or v6.
type CtIP struct {
	Src     string `json:"src"`
	Dst     string `json:"dst"`
	Version string `json:"version"`
}

// CtProto holds the L4 part of a tuple; exactly one member is set.
type CtProto struct {
	TCP  *CtPorts `json:"tcp,omitempty"`
	UDP  *CtPorts `json:"udp,omitempty"`
	ICMP *CtICMP  `json:"icmp,omitempty"`
	SCTP *CtSCTP  `json:"sctp,omitempty"`
}

// CtPorts are TCP or UDP ports.
type CtPorts struct {
	Sport uint16 `json:"sport"`
	Dport uint16 `json:"dport"`
}

// CtICMP is the ICMP or ICMPv6 part of a tuple.
type CtICMP struct {
	Code uint8  `json:"code"`
	Type uint8  `json:"type"`
	ID   uint16 `json:"id"`
}

// CtSCTP is the SCTP part of a tuple.
type CtSCTP struct {
	Sport uint16 `json:"sport"`
	Dport uint16 `json:"dport"`
	Vtag  uint32 `json:"vtag"`
}

// U128 is a 128-bit value (conntrack labels) as two words.
type U128 struct {
	Hi uint64 `json:"hi"`
	Lo uint64 `json:"lo"`
}

// MissingStatus reports that the section was read from a file lacking the
// mandatory ct_status field.
func (c *Ct) MissingStatus() bool { return c.missingStatus }

// UnmarshalJSON decodes a ct section and notes a missing ct_status.
func (c *Ct) UnmarshalJSON(b []byte) error {
	type plain Ct
	var probe struct {
		CtStatus *uint64 `json:"ct_status"`
	}
	if err := json.Unmarshal(b, (*plain)(c)); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return err
	}
	c.missingStatus = probe.CtStatus == nil
	return nil
}
