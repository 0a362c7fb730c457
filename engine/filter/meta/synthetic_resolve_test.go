package meta

import (
	"errors"
	"strings"
	"testing"
)

func TestResolveSynthetic(t *testing.T) {
	types := syntheticTypes()
	for _, tc := range []struct {
		expr string
		off  uint32
		size int
		lsh  int
		rsh  int
	}{
		{"sk_buff.len == 1", 16, 4, 0, 0},
		{"sk_buff.small == -1", 20, 1, 56, 56},
		{"sk_buff.pkt_type == 1", 22, 1, 64 - (176 + 3 - 176), 61},
		{"sk_buff.sbits == 1", 22, 1, 64 - (179 + 4 - 176), 60},
		{"sk_buff.wide == 1", 24, 4, 64 - (196 + 20 - 192), 44},
		{"sk_buff.straddle == 1", 28, 2, 64 - (230 + 4 - 224), 60},
		{"sk_buff.sneg == 1", 28, 4, 64 - (234 + 14 - 224), 50},
		{"sk_buff.s16f == 1", 48, 2, 48, 48},
		{"sk_buff.inner_b == 1", 114, 2, 48, 48},
		{"sk_buff.inner_c == 1", 114, 2, 0, 0},
	} {
		if !littleEndian {
			t.Skip("expected shifts are for little-endian hosts")
		}
		ck := resolveOne(t, types, tc.expr)
		lf := ck.leaf
		if lf.off != tc.off || lf.size != tc.size || lf.lsh != tc.lsh || lf.rsh != tc.rsh {
			t.Errorf("%s: read %d bytes at %d, shifts %d/%d; want %d at %d, %d/%d", tc.expr, lf.size, lf.off, lf.lsh, lf.rsh, tc.size, tc.off, tc.lsh, tc.rsh)
		}
	}

	ck := resolveOne(t, types, "sk_buff.temp == COLD")
	if ck.value != ^uint64(4) || !ck.leaf.signed {
		t.Errorf("COLD: value %#x signed %v, want -5 sign-extended", ck.value, ck.leaf.signed)
	}
	ck = resolveOne(t, types, "sk_buff.colour == BLUE")
	if ck.value != 0xfffffff0 || ck.leaf.signed {
		t.Errorf("BLUE: value %#x", ck.value)
	}
	ck = resolveOne(t, types, "sk_buff.peer.peer.dev.nd_net.net.ns.inum == 1")
	if len(ck.hops) != 4 || ck.hops[3].off != 24 || ck.leaf.off != 20 {
		t.Errorf("peer chain: hops %+v, leaf at %d", ck.hops, ck.leaf.off)
	}

	for _, tc := range []struct{ expr, want string }{
		{"sk_buff.counts == 1", "only char arrays are compared"},
		{"sk_buff.pp.name == 1", "pointer to a pointer"},
		{"sk_buff.sbits:0x1 == 1", "is signed"},
		{"sk_buff.sneg == 8192", "14-bit signed bitfield: -8192..8191"},
		{"sk_buff.sneg == -8193", "-8192..8191"},
		{"sk_buff.temp == TEPID", `enum temp has no enumerator "TEPID"`},
		{"sk_buff.colour == GREN", `(did you mean "GREEN"?)`},
		{"sk_buff.len == RED", `"RED" is not a number`},
		{"sk_buff.pkt_type.x == 1", "is a bitfield"},
		{"sk_buff.dev_scratch:0xff:nf_conn.mark == 1", ""},
		{"sk_buff.dev.name:0x1 == 1", "masks apply to numbers and pointers"},
		{`sk_buff.dev.short_name == "abcde"`, "longer than sk_buff.dev.short_name (char[4])"},
	} {
		_, err := Compile(tc.expr, types)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.expr, err)
			}
			continue
		}
		var me *Error
		if !errors.As(err, &me) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.expr, err, tc.want)
		}
	}
}
