package meta

import (
	"fmt"

	"github.com/cilium/ebpf/btf"
)

// typeMap is a Types made of hand-built BTF, to cover layouts the running
// kernel may not have (signed and straddling bitfields, signed enums...).
type typeMap map[string]btf.Type

func (m typeMap) AnyTypesByName(name string) ([]btf.Type, error) {
	if t, ok := m[name]; ok {
		return []btf.Type{t}, nil
	}
	return nil, fmt.Errorf("%s: %w", name, btf.ErrNotFound)
}

func member(name string, t btf.Type, bitOff uint32) btf.Member {
	return btf.Member{Name: name, Type: t, Offset: btf.Bits(bitOff)}
}

func bitfieldMember(name string, t btf.Type, bitOff, bits uint32) btf.Member {
	return btf.Member{Name: name, Type: t, Offset: btf.Bits(bitOff), BitfieldSize: btf.Bits(bits)}
}

// syntheticTypes describes a made-up sk_buff (128 bytes) and the structs
// it points to.
func syntheticTypes() typeMap {
	var (
		u8    = &btf.Int{Name: "unsigned char", Size: 1}
		s8    = &btf.Int{Name: "s8", Size: 1, Encoding: btf.Signed}
		char  = &btf.Int{Name: "char", Size: 1, Encoding: btf.Char}
		bool_ = &btf.Int{Name: "_Bool", Size: 1, Encoding: btf.Bool}
		u16   = &btf.Int{Name: "u16", Size: 2}
		s16   = &btf.Int{Name: "s16", Size: 2, Encoding: btf.Signed}
		u32   = &btf.Int{Name: "u32", Size: 4}
		s32   = &btf.Int{Name: "int", Size: 4, Encoding: btf.Signed}
		u64   = &btf.Int{Name: "u64", Size: 8}
		s64   = &btf.Int{Name: "s64", Size: 8, Encoding: btf.Signed}
		ulong = &btf.Typedef{Name: "ulong", Type: u64}
	)
	colour := &btf.Enum{Name: "colour", Size: 4, Values: []btf.EnumValue{{Name: "RED", Value: 0}, {Name: "GREEN", Value: 1}, {Name: "BLUE", Value: 0xfffffff0}}}
	cold := int64(-5)
	temp := &btf.Enum{Name: "temp", Size: 2, Signed: true, Values: []btf.EnumValue{{Name: "COLD", Value: uint64(cold)}, {Name: "HOT", Value: 100}}}

	ns := &btf.Struct{Name: "ns_common", Size: 16, Members: []btf.Member{member("inum", u32, 32)}}
	net := &btf.Struct{Name: "net", Size: 64, Members: []btf.Member{member("ns", ns, 128)}}
	netRef := &btf.Typedef{Name: "possible_net_t", Type: &btf.Struct{Size: 8, Members: []btf.Member{member("net", &btf.Pointer{Target: net}, 0)}}}
	ops := &btf.Struct{Name: "link_ops", Size: 16, Members: []btf.Member{member("kind", &btf.Pointer{Target: &btf.Const{Type: char}}, 64)}}
	dev := &btf.Struct{Name: "net_device", Size: 48, Members: []btf.Member{
		member("name", &btf.Array{Index: u32, Type: char, Nelems: 16}, 0),
		member("mtu", u32, 128),
		member("ifindex", s32, 160),
		member("nd_net", netRef, 192),
		member("link_ops", &btf.Pointer{Target: &btf.Const{Type: ops}}, 256),
		member("short_name", &btf.Array{Index: u32, Type: char, Nelems: 4}, 320),
	}}
	conn := &btf.Struct{Name: "nf_conn", Size: 32, Members: []btf.Member{member("mark", u32, 64)}}
	skb := &btf.Struct{Name: "sk_buff", Size: 128}
	skb.Members = []btf.Member{
		member("", &btf.Union{Size: 8, Members: []btf.Member{
			member("dev", &btf.Pointer{Target: dev}, 0),
			member("dev_scratch", ulong, 0),
		}}, 0),
		member("_nfct", ulong, 64),
		member("len", u32, 128),
		member("small", s8, 160),
		member("flag", bool_, 168),
		bitfieldMember("pkt_type", u8, 176, 3),
		bitfieldMember("sbits", s8, 179, 4),
		bitfieldMember("wide", u32, 196, 20),
		// Straddles a byte boundary, as packed structs allow: needs a
		// 2-byte read.
		bitfieldMember("straddle", u8, 230, 4),
		bitfieldMember("sneg", s32, 234, 14),
		member("s64f", s64, 256),
		member("u64f", u64, 320),
		member("s16f", s16, 384),
		member("u16f", u16, 400),
		member("colour", colour, 416),
		member("temp", temp, 448),
		member("tag", &btf.Array{Index: u32, Type: u8, Nelems: 8}, 512),
		member("label", &btf.Pointer{Target: char}, 576),
		member("peer", &btf.Pointer{Target: skb}, 640),
		member("counts", &btf.Array{Index: u32, Type: u32, Nelems: 4}, 704),
		member("pp", &btf.Pointer{Target: &btf.Pointer{Target: dev}}, 832),
		member("", &btf.Struct{Size: 8, Members: []btf.Member{
			member("inner_a", u16, 0),
			member("", &btf.Union{Size: 2, Members: []btf.Member{member("inner_b", s16, 0), member("inner_c", u16, 0)}}, 16),
		}}, 896),
	}
	return typeMap{"sk_buff": skb, "nf_conn": conn, "net_device": dev, "u32": u32}
}
