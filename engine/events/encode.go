package events

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// AppendJSON appends the event's JSON object to b, sections in Retis's
// order and unknown sections last. The sections collections produce are
// encoded by hand, without reflection: the collection path must encode
// about a million events a second, and sort -o re-encodes every event.
// The output is byte for byte what the codec writes (appendJSONReflect).
func (e *Event) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	sep := false
	key := func(name string) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
	}
	for _, name := range SectionNames {
		v := e.present(name)
		if v == nil {
			continue
		}
		key(name)
		if fast, ok := e.appendSection(b, name); ok {
			b = fast
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode section %s: %w", name, err)
		}
		b = append(b, raw...)
	}
	for _, x := range e.Extra {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = appendString(b, x.Name)
		b = append(b, ':')
		b = append(b, x.Raw...)
	}
	return append(b, '}'), nil
}

// appendSection encodes the sections that have a hand-written form; ok is
// false for the others.
func (e *Event) appendSection(b []byte, name string) (_ []byte, ok bool) {
	switch name {
	case SecCommon:
		c := e.Common
		b = append(b, `{"timestamp":`...)
		b = strconv.AppendUint(b, c.Timestamp, 10)
		if c.SmpID != nil {
			b = append(b, `,"smp_id":`...)
			b = strconv.AppendUint(b, uint64(*c.SmpID), 10)
		}
		if t := c.Task; t != nil {
			b = append(b, `,"task":{"pid":`...)
			b = strconv.AppendInt(b, int64(t.Pid), 10)
			b = append(b, `,"tgid":`...)
			b = strconv.AppendInt(b, int64(t.Tgid), 10)
			b = append(b, `,"comm":`...)
			b = appendString(b, t.Comm)
			b = append(b, '}')
		}
		b = append(b, '}')
	case SecKernel:
		k := e.Kernel
		b = append(b, `{"symbol":`...)
		b = appendString(b, k.Symbol)
		b = append(b, `,"probe_type":`...)
		b = appendString(b, k.ProbeType)
		if len(k.StackTrace) > 0 {
			b = append(b, `,"stack_trace":[`...)
			for i, s := range k.StackTrace {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, s)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	case SecSkbTracking:
		t := e.SkbTracking
		b = append(b, `{"orig_head":`...)
		b = strconv.AppendUint(b, t.OrigHead, 10)
		b = append(b, `,"timestamp":`...)
		b = strconv.AppendUint(b, t.Timestamp, 10)
		b = append(b, `,"skb":`...)
		b = strconv.AppendUint(b, t.Skb, 10)
		b = append(b, '}')
	case SecSkbDrop:
		d := e.SkbDrop
		b = append(b, '{')
		if d.Subsys != nil {
			b = append(b, `"subsys":`...)
			b = appendString(b, *d.Subsys)
			b = append(b, ',')
		}
		b = append(b, `"drop_reason":`...)
		b = appendString(b, d.DropReason)
		b = append(b, '}')
	case SecPacket:
		p := e.Packet
		b = append(b, `{"len":`...)
		b = strconv.AppendUint(b, uint64(p.Len), 10)
		b = append(b, `,"capture_len":`...)
		b = strconv.AppendUint(b, uint64(p.CaptureLen), 10)
		b = append(b, `,"data":`...)
		if p.Data == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, p.Data)
			b = append(b, '"')
		}
		b = append(b, '}')
	case SecSkb:
		s := e.Skb
		b = appendSkb(b, s)
	case SecNetns:
		n := e.Netns
		b = append(b, '{')
		if n.Cookie != nil {
			b = append(b, `"cookie":`...)
			b = strconv.AppendUint(b, *n.Cookie, 10)
			b = append(b, ',')
		}
		b = append(b, `"inum":`...)
		b = strconv.AppendUint(b, uint64(n.Inum), 10)
		b = append(b, '}')
	case SecDev:
		d := e.Dev
		b = append(b, `{"name":`...)
		b = appendString(b, d.Name)
		b = append(b, `,"ifindex":`...)
		b = strconv.AppendUint(b, uint64(d.Ifindex), 10)
		if d.RxIfindex != nil {
			b = append(b, `,"rx_ifindex":`...)
			b = strconv.AppendUint(b, uint64(*d.RxIfindex), 10)
		}
		b = append(b, '}')
	case SecCt:
		c := e.Ct
		b = append(b, `{"state":`...)
		b = appendString(b, c.State)
		b = append(b, ',')
		b = appendCtConn(b, &c.CtConn)
		if c.Parent != nil {
			b = append(b, `,"parent":{`...)
			b = appendCtConn(b, c.Parent)
			b = append(b, '}')
		}
		b = append(b, '}')
	case SecTracking:
		t := e.Tracking
		b = append(b, `{"skb":{"orig_head":`...)
		b = strconv.AppendUint(b, t.Skb.OrigHead, 10)
		b = append(b, `,"timestamp":`...)
		b = strconv.AppendUint(b, t.Skb.Timestamp, 10)
		b = append(b, `,"skb":`...)
		b = strconv.AppendUint(b, t.Skb.Skb, 10)
		b = append(b, `},"idx":`...)
		b = strconv.AppendUint(b, uint64(t.Idx), 10)
		b = append(b, '}')
	default:
		return b, false
	}
	return b, true
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

func appendSkb(b []byte, s *Skb) []byte {
	b = append(b, '{')
	sep := false
	key := func(name string) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, name...)
	}
	if v := s.VlanAccel; v != nil {
		key(`"vlan_accel":{"proto":`)
		b = strconv.AppendUint(b, uint64(v.Proto), 10)
		b = append(b, `,"pcp":`...)
		b = strconv.AppendUint(b, uint64(v.Pcp), 10)
		b = append(b, `,"dei":`...)
		b = appendBool(b, v.Dei)
		b = append(b, `,"vid":`...)
		b = strconv.AppendUint(b, uint64(v.Vid), 10)
		b = append(b, '}')
	}
	if m := s.Meta; m != nil {
		key(`"meta":{"len":`)
		b = strconv.AppendUint(b, uint64(m.Len), 10)
		b = append(b, `,"data_len":`...)
		b = strconv.AppendUint(b, uint64(m.DataLen), 10)
		b = append(b, `,"hash":`...)
		b = strconv.AppendUint(b, uint64(m.Hash), 10)
		b = append(b, `,"ip_summed":`...)
		b = strconv.AppendUint(b, uint64(m.IPSummed), 10)
		b = append(b, `,"csum":`...)
		b = strconv.AppendUint(b, uint64(m.Csum), 10)
		b = append(b, `,"csum_level":`...)
		b = strconv.AppendUint(b, uint64(m.CsumLevel), 10)
		b = append(b, `,"priority":`...)
		b = strconv.AppendUint(b, uint64(m.Priority), 10)
		b = append(b, '}')
	}
	if d := s.DataRef; d != nil {
		key(`"data_ref":{"nohdr":`)
		b = appendBool(b, d.Nohdr)
		b = append(b, `,"cloned":`...)
		b = appendBool(b, d.Cloned)
		b = append(b, `,"fclone":`...)
		b = strconv.AppendUint(b, uint64(d.Fclone), 10)
		b = append(b, `,"users":`...)
		b = strconv.AppendUint(b, uint64(d.Users), 10)
		b = append(b, `,"dataref":`...)
		b = strconv.AppendUint(b, uint64(d.Dataref), 10)
		b = append(b, '}')
	}
	if g := s.GSO; g != nil {
		key(`"gso":{"flags":`)
		b = strconv.AppendUint(b, uint64(g.Flags), 10)
		b = append(b, `,"frags":`...)
		b = strconv.AppendUint(b, uint64(g.Frags), 10)
		b = append(b, `,"size":`...)
		b = strconv.AppendUint(b, uint64(g.Size), 10)
		b = append(b, `,"segs":`...)
		b = strconv.AppendUint(b, uint64(g.Segs), 10)
		b = append(b, `,"type":`...)
		b = strconv.AppendUint(b, uint64(g.Type), 10)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendCtConn appends the members of a connection (no braces: the base
// one is inlined in the ct object).
func appendCtConn(b []byte, c *CtConn) []byte {
	b = append(b, `"zone_id":`...)
	b = strconv.AppendUint(b, uint64(c.ZoneID), 10)
	b = append(b, `,"zone_dir":`...)
	b = appendString(b, c.ZoneDir)
	b = append(b, `,"orig":`...)
	b = appendCtTuple(b, &c.Orig)
	b = append(b, `,"reply":`...)
	b = appendCtTuple(b, &c.Reply)
	if c.ProtoState != nil {
		b = append(b, `,"proto_state":`...)
		b = appendString(b, *c.ProtoState)
	}
	if c.Mark != nil {
		b = append(b, `,"mark":`...)
		b = strconv.AppendUint(b, uint64(*c.Mark), 10)
	}
	if c.Labels != nil {
		b = append(b, `,"labels":{"hi":`...)
		b = strconv.AppendUint(b, c.Labels.Hi, 10)
		b = append(b, `,"lo":`...)
		b = strconv.AppendUint(b, c.Labels.Lo, 10)
		b = append(b, '}')
	}
	b = append(b, `,"ct_status":`...)
	return strconv.AppendUint(b, c.CtStatus, 10)
}

func appendCtTuple(b []byte, t *CtTuple) []byte {
	b = append(b, `{"ip":{"src":`...)
	b = appendString(b, t.IP.Src)
	b = append(b, `,"dst":`...)
	b = appendString(b, t.IP.Dst)
	b = append(b, `,"version":`...)
	b = appendString(b, t.IP.Version)
	b = append(b, `},"proto":{`...)
	sep := false
	ports := func(name string, p *CtPorts) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, name...)
		b = strconv.AppendUint(b, uint64(p.Sport), 10)
		b = append(b, `,"dport":`...)
		b = strconv.AppendUint(b, uint64(p.Dport), 10)
		b = append(b, '}')
	}
	if t.Proto.TCP != nil {
		ports(`"tcp":{"sport":`, t.Proto.TCP)
	}
	if t.Proto.UDP != nil {
		ports(`"udp":{"sport":`, t.Proto.UDP)
	}
	if i := t.Proto.ICMP; i != nil {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, `"icmp":{"code":`...)
		b = strconv.AppendUint(b, uint64(i.Code), 10)
		b = append(b, `,"type":`...)
		b = strconv.AppendUint(b, uint64(i.Type), 10)
		b = append(b, `,"id":`...)
		b = strconv.AppendUint(b, uint64(i.ID), 10)
		b = append(b, '}')
	}
	if s := t.Proto.SCTP; s != nil {
		if sep {
			b = append(b, ',')
		}
		b = append(b, `"sctp":{"sport":`...)
		b = strconv.AppendUint(b, uint64(s.Sport), 10)
		b = append(b, `,"dport":`...)
		b = strconv.AppendUint(b, uint64(s.Dport), 10)
		b = append(b, `,"vtag":`...)
		b = strconv.AppendUint(b, uint64(s.Vtag), 10)
		b = append(b, '}')
	}
	return append(b, `}}`...)
}

// appendString appends a JSON string. Plain printable ASCII is copied;
// anything else goes through the JSON codec so escaping matches
// AppendJSON's exactly.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			raw, _ := json.Marshal(s)
			return append(b, raw...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
