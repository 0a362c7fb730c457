package event

import (
	"fmt"
	"reflect"
	"sort"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"

	"github.com/retis-go/retis/engine/events"
)

func init() {
	methodsByType[reflect.TypeFor[events.Packet]()] = map[string]func(*Section) starlark.Value{
		"decode": func(s *Section) starlark.Value {
			p := s.v.Addr().Interface().(*events.Packet)
			return starlark.NewBuiltin("packet.decode", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
				if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
					return nil, err
				}
				return Decode(p.Data), nil
			})
		},
	}
}

// Layers is a decoded packet: one attribute per layer, None when absent.
type Layers struct {
	attrs starlark.StringDict
}

var _ starlark.HasAttrs = (*Layers)(nil)

var layerAttrs = []string{"arp", "eth", "icmp", "icmp6", "ip", "ip6", "layers", "tcp", "truncated", "udp", "vlan", "vlans"}

func (l *Layers) String() string {
	var b []byte
	b = append(b, "layers("...)
	for i, name := range layerAttrs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = fmt.Appendf(b, "%s = %s", name, l.attrs[name])
	}
	return string(append(b, ')'))
}
func (l *Layers) Type() string          { return "layers" }
func (l *Layers) Freeze()               { l.attrs.Freeze() }
func (l *Layers) Truth() starlark.Bool  { return starlark.True }
func (l *Layers) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: layers") }
func (l *Layers) AttrNames() []string   { return layerAttrs }

func (l *Layers) Attr(name string) (starlark.Value, error) {
	if v, ok := l.attrs[name]; ok {
		return v, nil
	}
	return nil, nil
}

// Decode parses a packet starting at its Ethernet header, as Retis stores
// it. Layers after one that does not decode (a header cut off by the
// capture length) are left out and truncated is set; a layer this package
// does not model ends the walk.
func Decode(data []byte) *Layers {
	var (
		d     decoded
		names []starlark.Value
		vlans []starlark.Value
		attrs = starlark.StringDict{}
	)
	for _, n := range layerAttrs {
		attrs[n] = starlark.None
	}
	truncated := false
	typ := layers.LayerTypeEthernet
	for len(data) > 0 {
		dec := d.decoder(typ)
		if dec == nil {
			break
		}
		if err := dec.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
			truncated = true
			break
		}
		// Convert now: a second VLAN tag decodes into the same storage.
		name, v := d.value(typ)
		names = append(names, starlark.String(name))
		if name == "vlan" {
			vlans = append(vlans, v)
		}
		if attrs[name] == starlark.None {
			attrs[name] = v
		}
		typ, data = dec.NextLayerType(), dec.LayerPayload()
	}
	attrs["layers"] = starlark.Tuple(names)
	if len(vlans) > 0 {
		attrs["vlans"] = starlark.Tuple(vlans)
	}
	attrs["truncated"] = starlark.Bool(truncated)
	l := &Layers{attrs: attrs}
	l.Freeze()
	return l
}

// decoded holds one of each layer DecodingLayerParser fills in place.
type decoded struct {
	eth   layers.Ethernet
	dot1q layers.Dot1Q
	arp   layers.ARP
	ip4   layers.IPv4
	ip6   layers.IPv6
	tcp   layers.TCP
	udp   layers.UDP
	icmp4 layers.ICMPv4
	icmp6 layers.ICMPv6
	echo6 layers.ICMPv6Echo
}

func (d *decoded) decoder(t gopacket.LayerType) gopacket.DecodingLayer {
	switch t {
	case layers.LayerTypeEthernet:
		return &d.eth
	case layers.LayerTypeDot1Q:
		return &d.dot1q
	case layers.LayerTypeARP:
		return &d.arp
	case layers.LayerTypeIPv4:
		return &d.ip4
	case layers.LayerTypeIPv6:
		return &d.ip6
	case layers.LayerTypeTCP:
		return &d.tcp
	case layers.LayerTypeUDP:
		return &d.udp
	case layers.LayerTypeICMPv4:
		return &d.icmp4
	case layers.LayerTypeICMPv6:
		return &d.icmp6
	}
	return nil
}

// value converts the layer just decoded as t.
func (d *decoded) value(t gopacket.LayerType) (string, starlark.Value) {
	switch t {
	case layers.LayerTypeEthernet:
		x := &d.eth
		return "eth", mk("eth", kv{
			"src": str(x.SrcMAC.String()), "dst": str(x.DstMAC.String()), "type": num(x.EthernetType),
		})
	case layers.LayerTypeDot1Q:
		x := &d.dot1q
		return "vlan", mk("vlan", kv{
			"id": num(x.VLANIdentifier), "pcp": num(x.Priority), "dei": starlark.Bool(x.DropEligible), "type": num(x.Type),
		})
	case layers.LayerTypeARP:
		x := &d.arp
		return "arp", mk("arp", kv{
			"op":  num(x.Operation),
			"sha": str(macString(x.SourceHwAddress)), "spa": str(ipString(x.SourceProtAddress)),
			"tha": str(macString(x.DstHwAddress)), "tpa": str(ipString(x.DstProtAddress)),
		})
	case layers.LayerTypeIPv4:
		x := &d.ip4
		return "ip", mk("ip", kv{
			"src": str(x.SrcIP.String()), "dst": str(x.DstIP.String()), "ttl": num(x.TTL), "tos": num(x.TOS),
			"id": num(x.Id), "proto": num(x.Protocol), "len": num(x.Length), "flags": str(ip4Flags(x.Flags)),
			"frag_off": num(x.FragOffset), "version": num(4),
		})
	case layers.LayerTypeIPv6:
		x := &d.ip6
		return "ip6", mk("ip6", kv{
			"src": str(x.SrcIP.String()), "dst": str(x.DstIP.String()), "hop_limit": num(x.HopLimit),
			"tclass": num(x.TrafficClass), "flow_label": num(x.FlowLabel), "next_header": num(x.NextHeader),
			"len": num(x.Length), "version": num(6),
		})
	case layers.LayerTypeTCP:
		x := &d.tcp
		return "tcp", mk("tcp", kv{
			"sport": num(x.SrcPort), "dport": num(x.DstPort), "seq": num(x.Seq), "ack": num(x.Ack),
			"window": num(x.Window), "flags": str(tcpFlags(x)), "len": num(len(x.Payload)),
			"syn": starlark.Bool(x.SYN), "fin": starlark.Bool(x.FIN), "rst": starlark.Bool(x.RST),
			"psh": starlark.Bool(x.PSH), "urg": starlark.Bool(x.URG), "ece": starlark.Bool(x.ECE), "cwr": starlark.Bool(x.CWR),
		})
	case layers.LayerTypeUDP:
		x := &d.udp
		return "udp", mk("udp", kv{"sport": num(x.SrcPort), "dport": num(x.DstPort), "len": num(x.Length)})
	case layers.LayerTypeICMPv4:
		x := &d.icmp4
		return "icmp", mk("icmp", kv{
			"type": num(x.TypeCode.Type()), "code": num(x.TypeCode.Code()), "id": num(x.Id), "seq": num(x.Seq),
		})
	case layers.LayerTypeICMPv6:
		x := &d.icmp6
		f := kv{"type": num(x.TypeCode.Type()), "code": num(x.TypeCode.Code()), "id": starlark.None, "seq": starlark.None}
		// Echo id and sequence are a layer of their own in gopacket.
		if x.NextLayerType() == layers.LayerTypeICMPv6Echo &&
			d.echo6.DecodeFromBytes(x.LayerPayload(), gopacket.NilDecodeFeedback) == nil {
			f["id"], f["seq"] = num(d.echo6.Identifier), num(d.echo6.SeqNumber)
		}
		return "icmp6", mk("icmp6", f)
	}
	return "", nil
}

type kv map[string]starlark.Value

func mk(name string, fields kv) starlark.Value {
	d := make(starlark.StringDict, len(fields))
	for k, v := range fields {
		d[k] = v
	}
	s := starlarkstruct.FromStringDict(starlark.String(name), d)
	s.Freeze()
	return s
}

func str(s string) starlark.Value { return starlark.String(s) }

func num[T ~int | ~uint8 | ~uint16 | ~uint32](v T) starlark.Value {
	return starlark.MakeInt64(int64(v))
}

func macString(b []byte) string {
	if len(b) != 6 {
		return fmt.Sprintf("%x", b)
	}
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5])
}

func ipString(b []byte) string {
	if len(b) == 4 {
		return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
	}
	return fmt.Sprintf("%x", b)
}

// ip4Flags names the set flags tcpdump-style ("DF", "MF", "DF+MF").
func ip4Flags(f layers.IPv4Flag) string {
	var s []string
	if f&layers.IPv4DontFragment != 0 {
		s = append(s, "DF")
	}
	if f&layers.IPv4MoreFragments != 0 {
		s = append(s, "MF")
	}
	if f&layers.IPv4EvilBit != 0 {
		s = append(s, "EB")
	}
	sort.Strings(s)
	out := ""
	for i, x := range s {
		if i > 0 {
			out += "+"
		}
		out += x
	}
	return out
}

// tcpFlags writes flags as tcpdump does: S, F, R, P, U, E, W, then '.'
// for ACK ("S.", "P.", ".").
func tcpFlags(t *layers.TCP) string {
	var b []byte
	for _, f := range []struct {
		on bool
		c  byte
	}{{t.SYN, 'S'}, {t.FIN, 'F'}, {t.RST, 'R'}, {t.PSH, 'P'}, {t.URG, 'U'}, {t.ECE, 'E'}, {t.CWR, 'W'}} {
		if f.on {
			b = append(b, f.c)
		}
	}
	if t.ACK {
		b = append(b, '.')
	}
	if len(b) == 0 {
		return "none"
	}
	return string(b)
}
