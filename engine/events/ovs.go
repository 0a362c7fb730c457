package events

import (
	"bytes"
	"fmt"

	json "github.com/goccy/go-json"
)

// OVS event types, as written in the "event_type" member.
const (
	OVSUpcall        = "upcall"
	OVSUpcallEnqueue = "upcall_enqueue"
	OVSUpcallReturn  = "upcall_return"
	OVSRecvUpcall    = "recv_upcall"
	OVSFlowOperation = "flow_operation"
	OVSActionExecute = "action_execute"
	OVSFlowLookup    = "flow_lookup"
)

// OVS is the OpenvSwitch section. It is a tagged union: EventType names the
// variant and exactly the matching pointer is set.
type OVS struct {
	EventType     string
	Upcall        *OVSUpcallEvent
	UpcallEnqueue *OVSUpcallEnqueueEvent
	UpcallReturn  *OVSUpcallReturnEvent
	RecvUpcall    *OVSRecvUpcallEvent
	FlowOperation *OVSOperationEvent
	Action        *OVSActionEvent
	FlowLookup    *OVSLookupEvent
}

// OVSUpcallEvent starts an upcall (ovs_dp_upcall).
type OVSUpcallEvent struct {
	Cmd  uint8  `json:"cmd"`
	Port uint32 `json:"port"`
	CPU  uint32 `json:"cpu"`
}

// OVSUpcallEnqueueEvent is a packet (fragment) queued for userspace.
type OVSUpcallEnqueueEvent struct {
	Ret       int32  `json:"ret"`
	Cmd       uint8  `json:"cmd"`
	Port      uint32 `json:"port"`
	UpcallTs  uint64 `json:"upcall_ts"`
	UpcallCPU uint32 `json:"upcall_cpu"`
	QueueID   uint32 `json:"queue_id"`
}

// OVSUpcallReturnEvent ends an upcall.
type OVSUpcallReturnEvent struct {
	UpcallTs  uint64 `json:"upcall_ts"`
	UpcallCPU uint32 `json:"upcall_cpu"`
	Ret       int32  `json:"ret"`
}

// OVSRecvUpcallEvent is ovs-vswitchd receiving an upcall.
type OVSRecvUpcallEvent struct {
	Type     uint32 `json:"type"`
	PktSize  uint32 `json:"pkt_size"`
	KeySize  uint64 `json:"key_size"`
	QueueID  uint32 `json:"queue_id"`
	BatchTs  uint64 `json:"batch_ts"`
	BatchIdx uint8  `json:"batch_idx"`
}

// OVSOperationEvent is ovs-vswitchd putting a flow or executing actions;
// OpType is "put" or "exec" in JSON.
type OVSOperationEvent struct {
	OpType   string `json:"op_type"`
	QueueID  uint32 `json:"queue_id"`
	BatchTs  uint64 `json:"batch_ts"`
	BatchIdx uint8  `json:"batch_idx"`
}

// OVSActionEvent is the datapath executing an action. Action is nil when
// the action is unknown. QueueID links the packet to an upcall.
type OVSActionEvent struct {
	Action   *OVSAction
	RecircID uint32
	QueueID  *uint32
}

// OVSAction is an action with its arguments; Name is the JSON "action".
type OVSAction struct {
	Name   string
	Port   *uint32      // output
	ID     *uint32      // recirc
	Ct     *OVSActionCt // ct
	Reason *uint32      // drop
}

// OVSActionCt is the ct() action.
type OVSActionCt struct {
	Flags  uint32          `json:"flags"`
	ZoneID uint16          `json:"zone_id"`
	Nat    *OVSActionCtNat `json:"nat,omitempty"`
}

// OVSActionCtNat is the nat part of ct().
type OVSActionCtNat struct {
	Dir     *string `json:"dir,omitempty"`
	MinAddr *string `json:"min_addr,omitempty"`
	MaxAddr *string `json:"max_addr,omitempty"`
	MinPort *uint16 `json:"min_port,omitempty"`
	MaxPort *uint16 `json:"max_port,omitempty"`
}

// OVS ct action flags.
const (
	OVSCtCommit                   = 1 << 0
	OVSCtForce                    = 1 << 1
	OVSCtIP4                      = 1 << 2
	OVSCtIP6                      = 1 << 3
	OVSCtNat                      = 1 << 4
	OVSCtNatSrc                   = 1 << 5
	OVSCtNatDst                   = 1 << 6
	OVSCtNatRangeMapIPs           = 1 << 7
	OVSCtNatRangeProtoSpecified   = 1 << 8
	OVSCtNatRangeProtoRandom      = 1 << 9
	OVSCtNatRangePersistent       = 1 << 10
	OVSCtNatRangeProtoRandomFully = 1 << 11
)

// OVSLookupEvent is a datapath flow lookup.
type OVSLookupEvent struct {
	Flow      uint64    `json:"flow"`
	SfActs    uint64    `json:"sf_acts"`
	Ufid      [4]uint32 `json:"ufid"`
	NMaskHit  uint32    `json:"n_mask_hit"`
	NCacheHit uint32    `json:"n_cache_hit"`
	Dpflow    string    `json:"dpflow"`
	Ofpflows  []string  `json:"ofpflows"`
}

// OVSFlowInfo is the ovs-detrace section: the flows behind a datapath
// flow.
type OVSFlowInfo struct {
	Ufid     [4]uint32 `json:"ufid"`
	Flow     uint64    `json:"flow"`
	SfActs   uint64    `json:"sf_acts"`
	Dpflow   string    `json:"dpflow"`
	Ofpflows []string  `json:"ofpflows"`
}

// UfidString formats a flow UFID as OvS does (UUID-like).
func UfidString(u [4]uint32) string {
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%04x%08x", u[0], u[1]>>16, u[1]&0xffff, u[2]>>16, u[2]&0xffff, u[3])
}

// variant returns the set member as a value to marshal.
func (o *OVS) variant() any {
	switch {
	case o.Upcall != nil:
		return o.Upcall
	case o.UpcallEnqueue != nil:
		return o.UpcallEnqueue
	case o.UpcallReturn != nil:
		return o.UpcallReturn
	case o.RecvUpcall != nil:
		return o.RecvUpcall
	case o.FlowOperation != nil:
		return o.FlowOperation
	case o.Action != nil:
		return o.Action
	case o.FlowLookup != nil:
		return o.FlowLookup
	}
	return nil
}

// MarshalJSON writes {"event_type": ..., <variant members>}.
func (o OVS) MarshalJSON() ([]byte, error) {
	v := o.variant()
	if v == nil {
		return nil, fmt.Errorf("ovs section of type %q has no content", o.EventType)
	}
	inner, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return tagObject("event_type", o.EventType, inner), nil
}

// UnmarshalJSON reads the variant named by "event_type".
func (o *OVS) UnmarshalJSON(b []byte) error {
	var tag struct {
		EventType string `json:"event_type"`
	}
	if err := json.Unmarshal(b, &tag); err != nil {
		return err
	}
	*o = OVS{EventType: tag.EventType}
	var dst any
	switch tag.EventType {
	case OVSUpcall:
		o.Upcall = new(OVSUpcallEvent)
		dst = o.Upcall
	case OVSUpcallEnqueue:
		o.UpcallEnqueue = new(OVSUpcallEnqueueEvent)
		dst = o.UpcallEnqueue
	case OVSUpcallReturn:
		o.UpcallReturn = new(OVSUpcallReturnEvent)
		dst = o.UpcallReturn
	case OVSRecvUpcall:
		o.RecvUpcall = new(OVSRecvUpcallEvent)
		dst = o.RecvUpcall
	case OVSFlowOperation:
		o.FlowOperation = new(OVSOperationEvent)
		dst = o.FlowOperation
	case OVSActionExecute:
		o.Action = new(OVSActionEvent)
		dst = o.Action
	case OVSFlowLookup:
		o.FlowLookup = new(OVSLookupEvent)
		dst = o.FlowLookup
	default:
		return fmt.Errorf("unknown ovs event_type %q", tag.EventType)
	}
	return json.Unmarshal(b, dst)
}

// actionWire is the flat JSON form of an action event.
type actionWire struct {
	Action   *string         `json:"action,omitempty"`
	Port     *uint32         `json:"port,omitempty"`
	ID       *uint32         `json:"id,omitempty"`
	Flags    *uint32         `json:"flags,omitempty"`
	ZoneID   *uint16         `json:"zone_id,omitempty"`
	Nat      *OVSActionCtNat `json:"nat,omitempty"`
	Reason   *uint32         `json:"reason,omitempty"`
	RecircID uint32          `json:"recirc_id"`
	QueueID  *uint32         `json:"queue_id,omitempty"`
}

// MarshalJSON writes the action members first, as Retis does.
func (a OVSActionEvent) MarshalJSON() ([]byte, error) {
	w := actionWire{RecircID: a.RecircID, QueueID: a.QueueID}
	if act := a.Action; act != nil {
		w.Action = &act.Name
		w.Port, w.ID, w.Reason = act.Port, act.ID, act.Reason
		if act.Ct != nil {
			w.Flags, w.ZoneID, w.Nat = &act.Ct.Flags, &act.Ct.ZoneID, act.Ct.Nat
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads an action event.
func (a *OVSActionEvent) UnmarshalJSON(b []byte) error {
	var w actionWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*a = OVSActionEvent{RecircID: w.RecircID, QueueID: w.QueueID}
	if w.Action == nil {
		return nil
	}
	act := &OVSAction{Name: *w.Action, Port: w.Port, ID: w.ID, Reason: w.Reason}
	if act.Name == "ct" {
		act.Ct = &OVSActionCt{Nat: w.Nat}
		if w.Flags != nil {
			act.Ct.Flags = *w.Flags
		}
		if w.ZoneID != nil {
			act.Ct.ZoneID = *w.ZoneID
		}
	}
	a.Action = act
	return nil
}

// tagObject prefixes a JSON object with a string member.
func tagObject(key, val string, inner []byte) []byte {
	var buf bytes.Buffer
	kb, _ := json.Marshal(key)
	vb, _ := json.Marshal(val)
	buf.WriteByte('{')
	buf.Write(kb)
	buf.WriteByte(':')
	buf.Write(vb)
	if len(inner) > 2 {
		buf.WriteByte(',')
		buf.Write(inner[1:])
	} else {
		buf.WriteByte('}')
	}
	return buf.Bytes()
}
