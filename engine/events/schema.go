package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/invopop/jsonschema"
)

// The schema is reflected from the Go types so that a field added to a
// section shows up in it without anyone remembering to; what reflection
// cannot see is added by hand below:
//   - descriptions (Go doc comments are not available at run time), from
//     the docs table, which a test keeps complete;
//   - the sections whose JSON is written by hand: the ovs tagged union and
//     its flattened action, and the top-level object keyed by section name;
//   - integer ranges and string enums.

// schemaTitle and schemaDescription head the document.
const (
	schemaTitle       = "Retis event"
	schemaDescription = "One event of a Retis events file (JSON Lines, one event per line). " +
		"An event is an object of optional sections keyed by name; sections this " +
		"version does not know are allowed and kept as they are."
)

// Schema returns the JSON schema (draft 2020-12) of an event as written in
// events files, indented as `retis schema` prints it, without a trailing
// newline. The caller owns the returned slice.
func Schema() ([]byte, error) {
	b, err := schemaOnce()
	return bytes.Clone(b), err
}

var schemaOnce = sync.OnceValues(func() ([]byte, error) {
	s, err := buildSchema()
	if err != nil {
		return nil, fmt.Errorf("build event schema: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode event schema: %w", err)
	}
	return unescapeHTML(b), nil
})

// unescapeHTML undoes encoding/json's escaping of <, > and & (the schema
// library marshals with it on, and "skb->len" reads better than
// "skb-\u003elen"). It is a plain replacement, safe because no text in the
// schema holds a backslash, so every \u00XX in the output is such an
// escape; a test checks that.
func unescapeHTML(b []byte) []byte {
	for _, r := range [...][2]string{{`\u003c`, "<"}, {`\u003e`, ">"}, {`\u0026`, "&"}} {
		b = bytes.ReplaceAll(b, []byte(r[0]), []byte(r[1]))
	}
	return b
}

// schemaDocs describes every type ("Type") and member ("Type.Field", Go
// names) of the schema. The top-level sections are "Event.<Field>".
var schemaDocs = map[string]string{
	"Event.Common":      "Common section, present in every event.",
	"Event.Kernel":      "Kernel section: the kernel probe that produced the event.",
	"Event.Userspace":   "Userspace section: the userspace (USDT) probe that produced the event.",
	"Event.Tracking":    "Tracking section, added by post-processing (sort).",
	"Event.SkbTracking": "Skb tracking section: identifies the packet across the stack.",
	"Event.SkbDrop":     "Skb drop section: why the packet was dropped.",
	"Event.Packet":      "Packet section: the first bytes of the packet.",
	"Event.Skb":         "Skb section: socket buffer metadata.",
	"Event.Netns":       "Network namespace section.",
	"Event.Dev":         "Net device section.",
	"Event.OVS":         "OpenvSwitch section.",
	"Event.OVSDetrace":  "OpenvSwitch detrace section: the flows behind a datapath flow.",
	"Event.Nft":         "Nftables section.",
	"Event.Ct":          "Conntrack section.",
	"Event.Startup":     "Startup section, only in the first event of a file.",

	"Common":           "Information common to all events.",
	"Common.Timestamp": "Monotonic timestamp of the event, in nanoseconds (CLOCK_MONOTONIC).",
	"Common.SmpID":     "CPU the event fired on.",
	"Common.Task":      "Task that was current when the event fired.",

	"Task":      "A Linux task.",
	"Task.Pid":  "Thread ID (the kernel's pid).",
	"Task.Tgid": "Process ID (the kernel's tgid).",
	"Task.Comm": "Task name.",

	"Kernel":            "Kernel probe that produced the event.",
	"Kernel.Symbol":     `Probed symbol: a function name, or "group:event" for a tracepoint.`,
	"Kernel.ProbeType":  "Probe type.",
	"Kernel.StackTrace": "Kernel stack trace, innermost frame first, when the probe asked for it (/stack).",

	"User":           "Userspace probe that produced the event.",
	"User.ProbeType": "Probe type.",
	"User.Symbol":    "Probe (USDT) name.",
	"User.IP":        "Instruction pointer: address of the probe in the binary.",
	"User.Path":      "Path of the probed binary.",
	"User.Pid":       "Process ID.",
	"User.Tid":       "Thread ID.",

	"Tracking":     "Series information added by post-processing.",
	"Tracking.Skb": "Tracking identity of the series' original packet.",
	"Tracking.Idx": "Index of the event in its series, from 0.",

	"SkbTracking":           "Packet identity: (timestamp, orig_head) identifies a packet, skb tells clones apart.",
	"SkbTracking.OrigHead":  "Address of the packet's data (skb->head) when tracking first saw it.",
	"SkbTracking.Timestamp": "Monotonic timestamp (ns) of when tracking first saw the packet.",
	"SkbTracking.Skb":       "Address of the current sk_buff.",

	"SkbDrop":            "A packet drop.",
	"SkbDrop.Subsys":     "Drop reason subsystem (e.g. OPENVSWITCH); absent for core reasons.",
	"SkbDrop.DropReason": "Drop reason, a name of the kernel's enum skb_drop_reason (or of the subsystem's).",

	"Packet":            "The first bytes of a packet, from its L2 header.",
	"Packet.Len":        "Length of the packet on the wire, in bytes.",
	"Packet.CaptureLen": "Number of bytes captured (at most len).",
	"Packet.Data":       "Captured bytes, base64 encoded (standard alphabet, padded).",

	"Skb":           "Socket buffer metadata; each part is present when its collection was enabled.",
	"Skb.VlanAccel": "Offloaded (accelerated) VLAN tag.",
	"Skb.Meta":      "Lengths, hash, checksum state and priority.",
	"Skb.DataRef":   "Clone and reference-count information.",
	"Skb.GSO":       "Segmentation offload information.",

	"SkbVlanAccel":       "An offloaded VLAN tag.",
	"SkbVlanAccel.Proto": "Tag protocol identifier (TPID).",
	"SkbVlanAccel.Pcp":   "Priority code point.",
	"SkbVlanAccel.Dei":   "Drop eligible indicator.",
	"SkbVlanAccel.Vid":   "VLAN ID.",

	"SkbMeta":           "Socket buffer lengths, hash, checksum and priority.",
	"SkbMeta.Len":       "Total length of the data (skb->len).",
	"SkbMeta.DataLen":   "Length of the data in pages (skb->data_len).",
	"SkbMeta.Hash":      "Packet hash (skb->hash).",
	"SkbMeta.IPSummed":  "Checksum state (skb->ip_summed: 0 none, 1 unnecessary, 2 complete, 3 partial).",
	"SkbMeta.Csum":      "Checksum (ip_summed complete), or start << 16 | offset (ip_summed partial).",
	"SkbMeta.CsumLevel": "Checksum level (skb->csum_level).",
	"SkbMeta.Priority":  "Queuing priority (skb->priority).",

	"SkbDataRef":         "Socket buffer clone and reference-count information.",
	"SkbDataRef.Nohdr":   "Only the payload is referenced (skb->nohdr).",
	"SkbDataRef.Cloned":  "The skb is a clone (skb->cloned).",
	"SkbDataRef.Fclone":  "Fast clone state (skb->fclone).",
	"SkbDataRef.Users":   "Reference count of the skb (skb->users).",
	"SkbDataRef.Dataref": "Reference count of the data (shinfo->dataref).",

	"SkbGSO":       "Segmentation offload information.",
	"SkbGSO.Flags": "Shared info flags (SKBFL_*).",
	"SkbGSO.Frags": "Number of page fragments (shinfo->nr_frags).",
	"SkbGSO.Size":  "GSO segment size.",
	"SkbGSO.Segs":  "Number of GSO segments.",
	"SkbGSO.Type":  "GSO type (SKB_GSO_* bits).",

	"Netns":        "A network namespace.",
	"Netns.Cookie": "Namespace cookie (bpf_get_netns_cookie); absent on kernels without it.",
	"Netns.Inum":   "Namespace inode number.",

	"Dev":           "The net device the skb is on.",
	"Dev.Name":      "Device name.",
	"Dev.Ifindex":   "Device index.",
	"Dev.RxIfindex": "Index of the device the packet was received on (skb->skb_iif).",

	"Nft":                  "An nftables verdict and the rule that gave it.",
	"Nft.TableName":        "Table name.",
	"Nft.ChainName":        "Chain name.",
	"Nft.Verdict":          "Verdict (e.g. accept, drop, continue, jump, goto, return).",
	"Nft.VerdictChainName": "Target chain of a jump or goto verdict.",
	"Nft.TableHandle":      "Table handle.",
	"Nft.ChainHandle":      "Chain handle.",
	"Nft.RuleHandle":       "Rule handle; absent when the verdict came from the chain policy.",
	"Nft.Policy":           "The verdict is the chain's policy.",

	"Ct":        "The conntrack entry attached to the packet; its connection members are inlined.",
	"Ct.State":  "Conntrack state of the packet (ctinfo).",
	"Ct.Parent": "Parent (master) connection, for related connections.",

	"CtConn":            "A conntrack connection.",
	"CtConn.ZoneID":     "Zone ID.",
	"CtConn.ZoneDir":    "Zone direction.",
	"CtConn.Orig":       "Original direction tuple.",
	"CtConn.Reply":      "Reply direction tuple.",
	"CtConn.ProtoState": "Protocol state (e.g. TCP state), when the protocol has one.",
	"CtConn.Mark":       "Connection mark.",
	"CtConn.Labels":     "Connection labels (128 bits).",
	"CtConn.CtStatus":   "Connection status bits (ct->status, IPS_*).",

	"CtTuple":       "One direction of a connection.",
	"CtTuple.IP":    "Addresses.",
	"CtTuple.Proto": "Layer 4 part; exactly one member is present.",

	"CtIP":         "Addresses of a tuple.",
	"CtIP.Src":     "Source address.",
	"CtIP.Dst":     "Destination address.",
	"CtIP.Version": "IP version.",

	"CtProto":      "Layer 4 part of a tuple; exactly one member is present.",
	"CtProto.TCP":  "TCP ports.",
	"CtProto.UDP":  "UDP ports.",
	"CtProto.ICMP": "ICMP or ICMPv6 type, code and id.",
	"CtProto.SCTP": "SCTP ports and verification tag.",

	"CtPorts":       "Transport ports.",
	"CtPorts.Sport": "Source port.",
	"CtPorts.Dport": "Destination port.",

	"CtICMP":      "ICMP part of a tuple.",
	"CtICMP.Code": "ICMP code.",
	"CtICMP.Type": "ICMP type.",
	"CtICMP.ID":   "ICMP identifier.",

	"CtSCTP":       "SCTP part of a tuple.",
	"CtSCTP.Sport": "Source port.",
	"CtSCTP.Dport": "Destination port.",
	"CtSCTP.Vtag":  "Verification tag.",

	"U128":    "A 128-bit value as two 64-bit words.",
	"U128.Hi": "High 64 bits.",
	"U128.Lo": "Low 64 bits.",

	"OVS":           "OpenvSwitch event: a tagged union whose variant event_type names.",
	"OVS.EventType": "Variant of the event; it decides which other members are present.",

	"OVSUpcallEvent":      "Upcall start (ovs_dp_upcall); one upcall may enqueue several packets.",
	"OVSUpcallEvent.Cmd":  "Upcall command (OVS_PACKET_CMD_*: 1 miss, 2 action, 3 execute).",
	"OVSUpcallEvent.Port": "Netlink port id of the upcall's receiver.",
	"OVSUpcallEvent.CPU":  "CPU the upcall ran on.",

	"OVSUpcallEnqueueEvent":           "A packet (fragment) queued for userspace.",
	"OVSUpcallEnqueueEvent.Ret":       "Return code of the enqueue; non-zero means it failed and the packet was likely dropped.",
	"OVSUpcallEnqueueEvent.Cmd":       "Upcall command.",
	"OVSUpcallEnqueueEvent.Port":      "Netlink port id of the receiver.",
	"OVSUpcallEnqueueEvent.UpcallTs":  "Timestamp of the upcall this enqueue belongs to.",
	"OVSUpcallEnqueueEvent.UpcallCPU": "CPU of the upcall this enqueue belongs to.",
	"OVSUpcallEnqueueEvent.QueueID":   "Queue id linking the packet to its handling in userspace.",

	"OVSUpcallReturnEvent":           "Upcall end.",
	"OVSUpcallReturnEvent.UpcallTs":  "Timestamp of the upcall.",
	"OVSUpcallReturnEvent.UpcallCPU": "CPU of the upcall.",
	"OVSUpcallReturnEvent.Ret":       "Return code of the upcall.",

	"OVSRecvUpcallEvent":          "ovs-vswitchd received an upcall.",
	"OVSRecvUpcallEvent.Type":     "Upcall type.",
	"OVSRecvUpcallEvent.PktSize":  "Packet size.",
	"OVSRecvUpcallEvent.KeySize":  "Flow key size.",
	"OVSRecvUpcallEvent.QueueID":  "Queue id linking the upcall to its enqueue.",
	"OVSRecvUpcallEvent.BatchTs":  "Timestamp of the start of the receive batch.",
	"OVSRecvUpcallEvent.BatchIdx": "Position of the upcall in its batch.",

	"OVSOperationEvent":          "ovs-vswitchd put a flow or executed actions for an upcalled packet.",
	"OVSOperationEvent.OpType":   "Operation.",
	"OVSOperationEvent.QueueID":  "Queue id linking the operation to its upcall.",
	"OVSOperationEvent.BatchTs":  "Timestamp of the start of the batch.",
	"OVSOperationEvent.BatchIdx": "Position in the batch.",

	"OVSActionEvent":          "The datapath executed an action on the packet. The action's arguments are members of this object, next to action.",
	"OVSActionEvent.Action":   "Action name; absent when the action is unknown.",
	"OVSActionEvent.RecircID": "Recirculation id the packet was processed with.",
	"OVSActionEvent.QueueID":  "Queue id of the upcall the packet came from, when it did and tracking was on.",

	"OVSAction.Port":   "Output port.",
	"OVSAction.ID":     "Recirculation id the packet is sent to.",
	"OVSAction.Reason": "Drop reason (an OVS_XLATE_* or drop reason code).",

	"OVSActionCt":        "Arguments of the ct() action.",
	"OVSActionCt.Flags":  "ct() flags (OVS_CT_* bits: commit, force, ip4, ip6, nat, ...).",
	"OVSActionCt.ZoneID": "Conntrack zone.",
	"OVSActionCt.Nat":    "NAT arguments, when ct() does NAT.",

	"OVSActionCtNat":         "NAT arguments of ct().",
	"OVSActionCtNat.Dir":     "NAT direction.",
	"OVSActionCtNat.MinAddr": "Lowest address of the NAT range.",
	"OVSActionCtNat.MaxAddr": "Highest address of the NAT range.",
	"OVSActionCtNat.MinPort": "Lowest port of the NAT range.",
	"OVSActionCtNat.MaxPort": "Highest port of the NAT range.",

	"OVSLookupEvent":           "The datapath looked a flow key up successfully.",
	"OVSLookupEvent.Flow":      "Address of the datapath flow.",
	"OVSLookupEvent.SfActs":    "Address of the flow's actions.",
	"OVSLookupEvent.Ufid":      "Flow unique id, four 32-bit words.",
	"OVSLookupEvent.NMaskHit":  "Number of masks tried during the lookup.",
	"OVSLookupEvent.NCacheHit": "Number of mask cache hits during the lookup.",
	"OVSLookupEvent.Dpflow":    "Datapath flow, as ovs-dpctl prints it.",
	"OVSLookupEvent.Ofpflows":  "OpenFlow flows behind the datapath flow.",

	"OVSFlowInfo":          "The flows behind a datapath flow.",
	"OVSFlowInfo.Ufid":     "Flow unique id, four 32-bit words.",
	"OVSFlowInfo.Flow":     "Address of the datapath flow.",
	"OVSFlowInfo.SfActs":   "Address of the flow's actions.",
	"OVSFlowInfo.Dpflow":   "Datapath flow, as ovs-dpctl prints it.",
	"OVSFlowInfo.Ofpflows": "OpenFlow flows behind the datapath flow.",

	"Startup":                      "Collection-wide information, gathered when the collection started.",
	"Startup.RetisVersion":         "Version of the tool that collected the events.",
	"Startup.Cmdline":              "Command line of the collection.",
	"Startup.ClockMonotonicOffset": "Offset to add to monotonic timestamps to get wall-clock (realtime) time.",
	"Startup.Machine":              "The machine the collection ran on.",
	"Startup.SplitFile":            "Which part of a rotated (split) set of files this file is.",

	"TimeSpec":      "A struct timespec.",
	"TimeSpec.Sec":  "Seconds.",
	"TimeSpec.Nsec": "Nanoseconds.",

	"Machine":               "Host description (uname).",
	"Machine.KernelRelease": "Kernel release (uname -r).",
	"Machine.KernelVersion": "Kernel version (uname -v).",
	"Machine.HardwareName":  "Hardware name (uname -m).",

	"SplitFile":        "Position of a file in a rotated set.",
	"SplitFile.ID":     "Index of the part, from 0.",
	"SplitFile.Policy": "How the set was split.",

	"RotationPolicy":       "Rotation policy of a split set.",
	"RotationPolicy.Kind":  "Kind of limit.",
	"RotationPolicy.Limit": "The limit (bytes for a size limit).",
}

// schemaEnums restricts string members to the values Retis writes, by
// definition name and JSON member.
var schemaEnums = map[string]map[string][]any{
	"Kernel":            {"probe_type": {ProbeRawTracepoint, ProbeKprobe, ProbeKretprobe}},
	"User":              {"probe_type": {"usdt"}},
	"Ct":                {"state": ctStates, "zone_dir": ctZoneDirs},
	"CtConn":            {"zone_dir": ctZoneDirs},
	"CtIP":              {"version": {"v4", "v6"}},
	"OVSOperationEvent": {"op_type": {"put", "exec"}},
	"OVSActionCtNat":    {"dir": {"src", "dst"}},
	"RotationPolicy":    {"kind": {"size"}},
}

var (
	ctStates   = []any{"established", "related", "new", "reply", "related_reply", "untracked"}
	ctZoneDirs = []any{"Original", "Reply", "Default", "None"}
)

// ovsVariants maps each event_type to the Go type of its members.
var ovsVariants = []struct {
	tag string
	typ reflect.Type
}{
	{OVSUpcall, reflect.TypeFor[OVSUpcallEvent]()},
	{OVSUpcallEnqueue, reflect.TypeFor[OVSUpcallEnqueueEvent]()},
	{OVSUpcallReturn, reflect.TypeFor[OVSUpcallReturnEvent]()},
	{OVSRecvUpcall, reflect.TypeFor[OVSRecvUpcallEvent]()},
	{OVSFlowOperation, reflect.TypeFor[OVSOperationEvent]()},
	{OVSActionExecute, reflect.TypeFor[OVSActionEvent]()},
	{OVSFlowLookup, reflect.TypeFor[OVSLookupEvent]()},
}

// ovsActions lists the datapath actions Retis names, in kernel order
// (enum ovs_action_attr); arg is the member carrying an action's argument
// and field the OVSAction field holding it.
var ovsActions = []struct {
	name, arg, field string
}{
	{"output", "port", "Port"}, {"userspace", "", ""}, {"set", "", ""},
	{"push_vlan", "", ""}, {"pop_vlan", "", ""}, {"sample", "", ""},
	{"recirc", "id", "ID"}, {"hash", "", ""}, {"push_mpls", "", ""},
	{"pop_mpls", "", ""}, {"set_masked", "", ""}, {"ct", "", ""},
	{"trunc", "", ""}, {"push_eth", "", ""}, {"pop_eth", "", ""},
	{"ct_clear", "", ""}, {"push_nsh", "", ""}, {"pop_nsh", "", ""},
	{"meter", "", ""}, {"clone", "", ""}, {"check_pkt_len", "", ""},
	{"add_mpls", "", ""}, {"dec_ttl", "", ""}, {"drop", "reason", "Reason"},
}

// schemaBuilder reflects types into one set of definitions.
type schemaBuilder struct {
	r    jsonschema.Reflector
	defs jsonschema.Definitions
	// missing collects types and members without a description.
	missing []string
}

func buildSchema() (*jsonschema.Schema, error) {
	b := &schemaBuilder{defs: jsonschema.Definitions{}}
	b.r = jsonschema.Reflector{
		Anonymous: true,
		// Retis adds members over time; a reader of an older schema
		// should still accept newer files, as our decoder does.
		AllowAdditionalProperties: true,
		Mapper:                    b.mapType,
		LookupComment:             b.describe,
	}

	root := b.reflect(eventShape())
	root.Version = jsonschema.Version
	root.Title = schemaTitle
	root.Description = schemaDescription

	b.defs["OVS"] = b.ovsSchema()
	// Exactly one protocol member, whatever its name.
	if p, ok := b.defs["CtProto"]; ok {
		one := uint64(1)
		p.MinProperties, p.MaxProperties = &one, &one
	}
	for def, members := range schemaEnums {
		if err := b.setEnums(def, members); err != nil {
			return nil, err
		}
	}
	if len(b.missing) > 0 {
		return nil, fmt.Errorf("no description for %s", strings.Join(b.missing, ", "))
	}
	root.Definitions = b.defs
	return root, nil
}

// eventShape is the JSON shape of an Event: one optional member per known
// section, named and typed as the codec (Event.field) has them.
func eventShape() reflect.Type {
	var e Event
	fields := make([]reflect.StructField, 0, len(SectionNames))
	et := reflect.TypeFor[Event]()
	for _, name := range SectionNames {
		typ := reflect.TypeOf(e.field(name)).Elem() // **T -> *T
		// The Go field holding the section names its description.
		goName := ""
		for i := range et.NumField() {
			if et.Field(i).Type == typ {
				goName = et.Field(i).Name
				break
			}
		}
		fields = append(fields, reflect.StructField{
			Name: goName,
			Type: typ,
			Tag:  reflect.StructTag(`json:"` + name + `,omitempty"`),
		})
	}
	return reflect.StructOf(fields)
}

// reflect returns the schema of t (usually a $ref), adding the definitions
// it needs to b.defs.
func (b *schemaBuilder) reflect(t reflect.Type) *jsonschema.Schema {
	s := b.r.ReflectFromType(t)
	for name, def := range s.Definitions {
		b.defs[name] = def
	}
	s.Definitions = nil
	s.Version = ""
	return s
}

// describe gives the description of a type (field == "") or member.
func (b *schemaBuilder) describe(t reflect.Type, field string) string {
	key := t.Name()
	if key == "" {
		key = "Event" // the anonymous shape from eventShape
	}
	if field != "" {
		key += "." + field
	}
	d, ok := schemaDocs[key]
	if !ok && !(t.Name() == "" && field == "") {
		b.missing = append(b.missing, key)
	}
	return d
}

// mapType gives the schemas reflection gets wrong or short: integers get
// their range (reflection says only "integer"), byte strings a pattern so
// that validators check the base64, and the ovs section, whose JSON is
// hand-written, refers to the definition ovsSchema builds.
func (b *schemaBuilder) mapType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[OVS]():
		return &jsonschema.Schema{Ref: "#/$defs/OVS"}
	case reflect.TypeFor[[]byte]():
		return &jsonschema.Schema{
			Type:            "string",
			ContentEncoding: "base64",
			Pattern:         `^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$`,
		}
	}
	if t.PkgPath() != "" {
		return nil
	}
	var lo, hi string
	switch t.Kind() {
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		lo, hi = "0", strconv.FormatUint(math.MaxUint64>>(64-t.Bits()), 10)
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		lo = strconv.FormatInt(math.MinInt64>>(64-t.Bits()), 10)
		hi = strconv.FormatInt(math.MaxInt64>>(64-t.Bits()), 10)
	default:
		return nil
	}
	return &jsonschema.Schema{
		Type:    "integer",
		Format:  t.Kind().String(),
		Minimum: json.Number(lo),
		Maximum: json.Number(hi),
	}
}

// ovsSchema describes the ovs section: {"event_type": T, <members of T>}.
func (b *schemaBuilder) ovsSchema() *jsonschema.Schema {
	tags := make([]any, 0, len(ovsVariants))
	variants := make([]*jsonschema.Schema, 0, len(ovsVariants))
	for _, v := range ovsVariants {
		var members *jsonschema.Schema
		if v.typ == reflect.TypeFor[OVSActionEvent]() {
			b.defs[v.typ.Name()] = b.ovsActionSchema()
			members = &jsonschema.Schema{Ref: "#/$defs/" + v.typ.Name()}
		} else {
			members = b.reflect(v.typ)
		}
		tags = append(tags, v.tag)
		// The tag sits next to the variant's members: one object, checked
		// against both the tag constant and the variant's definition.
		tagged := object([]prop{{"event_type", &jsonschema.Schema{Const: v.tag}}}, "event_type")
		tagged.Ref = members.Ref
		tagged.Description = b.describe(v.typ, "")
		variants = append(variants, tagged)
	}
	s := object([]prop{{"event_type", &jsonschema.Schema{
		Type:        "string",
		Enum:        tags,
		Description: b.describe(reflect.TypeFor[OVS](), "EventType"),
	}}}, "event_type")
	s.Description = b.describe(reflect.TypeFor[OVS](), "")
	s.OneOf = variants
	return s
}

// ovsActionSchema describes an action_execute event. Its action is
// flattened: {"action": "ct", "flags": ..., "zone_id": ..., "recirc_id": ...}.
func (b *schemaBuilder) ovsActionSchema() *jsonschema.Schema {
	at := reflect.TypeFor[OVSActionEvent]()
	names := make([]any, 0, len(ovsActions))
	for _, a := range ovsActions {
		names = append(names, a.name)
	}
	s := object([]prop{
		{"action", &jsonschema.Schema{Type: "string", Enum: names, Description: b.describe(at, "Action")}},
		{"recirc_id", b.member(at, "RecircID")},
		{"queue_id", b.member(at, "QueueID")},
	}, "recirc_id")
	s.Description = b.describe(at, "")

	// The action's argument members depend on the action.
	opt := reflect.TypeFor[OVSAction]()
	for _, a := range ovsActions {
		var then *jsonschema.Schema
		switch {
		case a.name == "ct":
			then = b.reflect(reflect.TypeFor[OVSActionCt]())
		case a.arg != "":
			then = object([]prop{{a.arg, b.member(opt, a.field)}}, a.arg)
		default:
			continue
		}
		s.AllOf = append(s.AllOf, &jsonschema.Schema{
			If:   object([]prop{{"action", &jsonschema.Schema{Const: a.name}}}, "action"),
			Then: then,
		})
	}
	return s
}

// member is the schema of one struct member, with its description.
func (b *schemaBuilder) member(t reflect.Type, field string) *jsonschema.Schema {
	f, ok := t.FieldByName(field)
	if !ok {
		b.missing = append(b.missing, t.Name()+"."+field+" (no such field)")
		return &jsonschema.Schema{}
	}
	ft := f.Type
	if ft.Kind() == reflect.Pointer {
		ft = ft.Elem()
	}
	s := b.mapType(ft)
	if s == nil {
		s = b.reflect(ft)
	}
	s.Description = b.describe(t, field)
	return s
}

// setEnums restricts members of a definition to a set of values.
func (b *schemaBuilder) setEnums(def string, members map[string][]any) error {
	d, ok := b.defs[def]
	if !ok || d.Properties == nil {
		return fmt.Errorf("enum for unknown definition %s", def)
	}
	for name, values := range members {
		p, ok := d.Properties.Get(name)
		if !ok {
			return fmt.Errorf("enum for unknown member %s.%s", def, name)
		}
		p.Enum = values
	}
	return nil
}

// prop is one member of an object schema.
type prop struct {
	name   string
	schema *jsonschema.Schema
}

// object builds an object schema with members in the given order.
func object(members []prop, required ...string) *jsonschema.Schema {
	p := jsonschema.NewProperties()
	for _, m := range members {
		p.Set(m.name, m.schema)
	}
	return &jsonschema.Schema{Type: "object", Properties: p, Required: required}
}
