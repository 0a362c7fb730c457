package meta

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/cilium/ebpf/btf"
)

var kernelSpec = sync.OnceValues(btf.LoadKernelSpec)

// kernelTypes returns the running kernel's BTF, skipping when it has none.
func kernelTypes(tb testing.TB) Types {
	tb.Helper()
	spec, err := kernelSpec()
	if errors.Is(err, btf.ErrNotSupported) {
		tb.Skipf("kernel has no BTF: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return spec
}

func resolveOne(t *testing.T, types Types, expr string) *check {
	t.Helper()
	n, err := parse(expr)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := n.(*comparison)
	if !ok {
		t.Fatalf("%q is not a single comparison", expr)
	}
	r, err := newResolver(expr, types)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := r.comparison(c)
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

// markerOffset returns the byte offset of a zero-length marker array such
// as __pkt_type_offset, which the kernel places where a bitfield's byte is.
func markerOffset(t *testing.T, types Types, name string) uint32 {
	t.Helper()
	r, err := newResolver("", types)
	if err != nil {
		t.Fatal(err)
	}
	m, off, ok := findMember(r.root, name)
	if !ok || !isZeroArray(m.Type) {
		t.Skipf("this kernel's sk_buff has no %s marker", name)
	}
	return off / 8
}

func TestResolveKernelFields(t *testing.T) {
	types := kernelTypes(t)

	ck := resolveOne(t, types, "sk_buff.pkt_type == 3")
	if lf := ck.leaf; lf.kind != kNumber || lf.bits != 3 || lf.signed || lf.size != 1 || len(ck.hops) != 0 {
		t.Fatalf("pkt_type: %+v", lf)
	}
	if want := markerOffset(t, types, "__pkt_type_offset"); ck.leaf.off != want {
		t.Fatalf("pkt_type read at byte %d, its marker is at %d", ck.leaf.off, want)
	}
	ck = resolveOne(t, types, "sk_buff.cloned")
	if want := markerOffset(t, types, "__cloned_offset"); ck.leaf.off != want || ck.leaf.bits != 1 || ck.op != "!=" || ck.value != 0 {
		t.Fatalf("cloned: %+v at %d, marker at %d", ck, ck.leaf.off, want)
	}

	ck = resolveOne(t, types, "sk_buff.headers.skb_iif == -1")
	if lf := ck.leaf; !lf.signed || lf.bits != 32 || lf.lsh != 32 || lf.rsh != 32 || ck.value != ^uint64(0) {
		t.Fatalf("headers.skb_iif: %+v value %#x", lf, ck.value)
	}
	// The same field through the anonymous struct of the struct group.
	if ck2 := resolveOne(t, types, "sk_buff.skb_iif == 1"); ck2.leaf.off != ck.leaf.off {
		t.Fatalf("skb_iif at %d, headers.skb_iif at %d", ck2.leaf.off, ck.leaf.off)
	}

	ck = resolveOne(t, types, `sk_buff.dev.name == "eth0"`)
	if lf := ck.leaf; lf.kind != kCharArray || lf.arrayLen != 16 || len(ck.hops) != 1 || ck.str != "eth0" {
		t.Fatalf("dev.name: %+v hops %v", lf, ck.hops)
	}

	ck = resolveOne(t, types, "sk_buff.dev.nd_net.net.ns.inum == 4026531840")
	if len(ck.hops) != 2 || ck.leaf.bits != 32 || ck.leaf.signed || ck.value != 4026531840 {
		t.Fatalf("dev.nd_net.net.ns.inum: hops %v leaf %+v", ck.hops, ck.leaf)
	}

	ck = resolveOne(t, types, "sk_buff._nfct:~0x7:nf_conn.mark == 1")
	if len(ck.hops) != 1 || !ck.hops[0].hasMask || ck.hops[0].mask != ^uint64(7) {
		t.Fatalf("_nfct cast: hops %+v", ck.hops)
	}

	ck = resolveOne(t, types, "sk_buff.sk")
	if lf := ck.leaf; lf.kind != kNumber || lf.size != 8 || lf.signed || ck.op != "!=" {
		t.Fatalf("sk alone: %+v", lf)
	}
	ck = resolveOne(t, types, "sk_buff.dev:0xffffffffffffff00.mtu > 1500")
	if !ck.hops[0].hasMask || ck.hops[0].mask != 0xffffffffffffff00 {
		t.Fatalf("masked pointer: %+v", ck.hops)
	}
	ck = resolveOne(t, types, `sk_buff.dev.rtnl_link_ops.kind == "veth"`)
	if ck.leaf.kind != kCharPtr || len(ck.hops) != 2 {
		t.Fatalf("rtnl_link_ops.kind: %+v", ck)
	}
	ck = resolveOne(t, types, "sk_buff.mark:0b1010 == 0b10")
	if !ck.leaf.hasMask || ck.leaf.mask != 10 || ck.value != 2 {
		t.Fatalf("binary mask: %+v", ck.leaf)
	}
}

func TestCompileErrors(t *testing.T) {
	types := kernelTypes(t)
	for _, tc := range []struct{ expr, want string }{
		{`sk_buff.dev.nmae == "x"`, `struct net_device has no member "nmae" (did you mean "name"?)`},
		{`sk_buff.mrak == 1`, `did you mean "mark"?`},
		{`sk_buff.dev.ifidx == 1`, `"ifindex"`},
		{`dev.name == "x"`, "did you mean sk_buff.dev?"},
		{`skb.mark == 1`, "starts from sk_buff"},
		{`sk_buff`, "name a member of sk_buff"},
		{`sk_buff.dev.name < "eth0"`, "strings compare with == and != only, not <"},
		{`sk_buff.dev.name >= "eth0"`, "not >="},
		{`sk_buff.dev.name == 3`, "compare it with a quoted string"},
		{`sk_buff.dev.name`, "compare it with == or !="},
		{`sk_buff.dev.name == eth0`, "compare it with a quoted string"},
		{`sk_buff.dev.name == "0123456789abcdef0"`, "longer than sk_buff.dev.name (char[16])"},
		{`sk_buff.dev.rtnl_link_ops.kind == "0123456789abcdef0123456789abcdef"`, "at most 31 bytes"},
		{`sk_buff.mark == "x"`, "compare it with a number, not a string"},
		{`sk_buff.mark == -1`, "does not fit sk_buff.mark (__u32: 0..4294967295)"},
		{`sk_buff.mark == 4294967296`, "does not fit"},
		{`sk_buff.pkt_type == 8`, "3-bit unsigned bitfield: 0..7"},
		{`sk_buff.headers.skb_iif == 2147483648`, "-2147483648..2147483647"},
		{`sk_buff.headers.skb_iif:0xff == 1`, "is signed"},
		{`sk_buff.dev.name:0xff == "x"`, "masks apply to numbers and pointers"},
		{`sk_buff.mark:0 == 1`, "keeps no bit"},
		{`sk_buff.mark:~0xffffffffffffffff == 1`, "keeps no bit"},
		{`sk_buff.mark:-1 == 1`, "cannot be negative"},
		{`sk_buff.mark.x == 1`, "not a struct"},
		{`sk_buff._nfct.mark == 1`, "cast it: sk_buff._nfct:~0x0:STRUCT"},
		{`sk_buff._nfct:~0x7:no_such_struct.mark == 1`, `cannot cast sk_buff._nfct to "no_such_struct"`},
		{`sk_buff.len:0xff:nf_conn.mark == 1`, "not a struct"},
		{`sk_buff.cb:~0x0:nf_conn.mark == 1`, "not a struct"},
		{`sk_buff._nfct:~0x7:nf_conn.mark:~0x0:nf_conn == 1`, "is the compared field"},
		{`sk_buff.dev == 1 and sk_buff.dev.name`, "compare it with == or !="},
		{`sk_buff.headers == 1`, "compare one of its members"},
		{`sk_buff.cb == 1`, "sk_buff.cb is a string (char[48])"},
		{`sk_buff.mark = 1`, `compare with "=="`},
		{`sk_buff.mark == 1 and`, "expected a field"},
		{`(sk_buff.mark == 1`, `expected ")"`},
		{`sk_buff.mark == 1 sk_buff.len == 2`, "combine conditions with and/or"},
		{`sk_buff.mark == 0xfg`, "not a number"},
		{`sk_buff.mark == -0x1`, "only decimal numbers take a sign"},
		{`sk_buff.mark == 99999999999999999999`, "does not fit in 64 bits"},
		{`sk_buff.dev.name == "x`, "unterminated string"},
		{`sk_buff.mark == 1 # x`, "unexpected character"},
		{`sk_buff.dev.nd_net.net.ns.inum.x == 1`, "not a struct"},
	} {
		_, err := Compile(tc.expr, types)
		var me *Error
		if !errors.As(err, &me) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want an *Error containing %q", tc.expr, err, tc.want)
			continue
		}
		if me.Pos < 0 || me.Pos > len(tc.expr) {
			t.Errorf("%s: position %d out of the expression", tc.expr, me.Pos)
		}
	}
}

func TestErrorPointsAtPart(t *testing.T) {
	types := kernelTypes(t)
	expr := `sk_buff.dev.nmae == "x"`
	_, err := Compile(expr, types)
	var me *Error
	if !errors.As(err, &me) {
		t.Fatal(err)
	}
	if got := expr[me.Pos:]; !strings.HasPrefix(got, "nmae") {
		t.Fatalf("error points at %q", got)
	}
	if d := me.Detail(); !strings.Contains(d, "\n  "+expr+"\n") || !strings.HasSuffix(d, strings.Repeat(" ", me.Pos+2)+"^") {
		t.Fatalf("detail:\n%s", d)
	}
}

func TestCompileAccepts(t *testing.T) {
	types := kernelTypes(t)
	for _, expr := range []string{
		`sk_buff.dev.name == 'lo'`,
		`sk_buff.dev.name != "eth0"`,
		`sk_buff.dev.nd_net.net.ns.inum == 4026531840`,
		`sk_buff.mark > 0 and sk_buff.mark <= 0xffff`,
		`sk_buff.pkt_type == 0 || sk_buff.pkt_type >= 3`,
		`not (sk_buff.len < 100) && !sk_buff.cloned`,
		`sk_buff._nfct:~0x7:nf_conn.status:0xf == 0xa`,
		`sk_buff.dev:~0x00.mtu >= 1500`,
		`sk_buff.tstamp > -1`,
		`sk_buff.headers.skb_iif < 0`,
		`sk_buff.protocol == 0x0008`,
		`sk_buff.dev.rtnl_link_ops.kind == "veth"`,
		`sk_buff.dev.name == ""`,
		`sk_buff.dev.name == "0123456789abcdef"`,
		`((sk_buff.mark == 1))`,
	} {
		f, err := Compile(expr, types)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		if len(f.Instructions) == 0 {
			t.Errorf("%s: no instructions", expr)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"name", "mtu", "ifindex", "flags", "nd_net"}
	for _, tc := range []struct{ in, want string }{
		{"nmae", `"name"`},
		{"ifidx", `"ifindex"`},
		{"MTU", `"mtu"`},
		{"zzzzzzzz", ""},
	} {
		got := suggest(tc.in, names)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if d := distance("abcd", "acbd"); d != 1 {
		t.Errorf("transposition distance %d, want 1", d)
	}
}
