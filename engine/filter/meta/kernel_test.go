package meta

import (
	"encoding/binary"
	"errors"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/features"

	"github.com/retis-go/retis/internal/testutils"
)

const (
	placeholder = "retis_filter_meta"
	memSize     = 8192
	skbAt       = 64 // the made-up sk_buff's offset in the map value
)

// requireHelpers skips when the kernel cannot run the test programs.
func requireHelpers(tb testing.TB) {
	tb.Helper()
	testutils.RequireBPF(tb)
	for _, fn := range []asm.BuiltinFunc{asm.FnProbeReadKernel, asm.FnProbeReadKernelStr} {
		err := features.HaveProgramHelper(ebpf.SchedCLS, fn)
		if errors.Is(err, ebpf.ErrNotSupported) {
			tb.Skipf("kernel lacks %s for SchedCLS programs: %v", fn, err)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// memHarness is a SchedCLS program that writes the kernel address of the
// map value to its first 8 bytes, then calls the meta filter on the
// made-up sk_buff inside it and returns its result.
func memHarness(m *ebpf.Map, body asm.Instructions) asm.Instructions {
	insns := asm.Instructions{
		asm.StoreImm(asm.RFP, -4, 0, asm.Word),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -4),
		asm.LoadMapPtr(asm.R1, m.FD()),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "out"),
		asm.StoreMem(asm.R0, 0, asm.R0, asm.DWord),
		asm.Mov.Reg(asm.R1, asm.R0),
		asm.Add.Imm(asm.R1, skbAt),
		asm.Call.Label(placeholder),
		asm.Return().WithSymbol("out"),
	}
	insns = append(insns, body[0].WithSymbol(placeholder))
	return append(insns, body[1:]...)
}

// fakeMem is the map value as the filter sees it: kernel address base.
type fakeMem struct {
	base uint64
	b    []byte
}

func (m *fakeMem) read(addr uint64, n int) ([]byte, bool) {
	if addr < m.base || addr+uint64(n) > m.base+uint64(len(m.b)) {
		return nil, false
	}
	o := addr - m.base
	return m.b[o : o+uint64(n)], true
}

// field returns the bits-wide value at bitOff bits from addr, from BTF's
// little-endian bit numbering, sign-extended when signed.
func (m *fakeMem) field(addr uint64, bitOff uint32, bits int, signed bool) (uint64, bool) {
	start := addr + uint64(bitOff/8)
	raw, ok := m.read(start, 16)
	if !ok {
		return 0, false
	}
	le := slices.Clone(raw)
	slices.Reverse(le)
	v := new(big.Int).SetBytes(le)
	v.Rsh(v, uint(bitOff%8))
	v.And(v, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(bits)), big.NewInt(1)))
	u := v.Uint64()
	if signed && bits < 64 && u&(1<<(bits-1)) != 0 {
		u |= ^uint64(0) << bits
	}
	return u, true
}

func (m *fakeMem) setField(addr uint64, bitOff uint32, bits int, val uint64) {
	o := addr - m.base + uint64(bitOff/8)
	le := slices.Clone(m.b[o : o+16])
	slices.Reverse(le)
	v := new(big.Int).SetBytes(le)
	mask := new(big.Int).Lsh(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(bits)), big.NewInt(1)), uint(bitOff%8))
	v.AndNot(v, mask)
	x := new(big.Int).SetUint64(val)
	x.And(x, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(bits)), big.NewInt(1)))
	v.Or(v, x.Lsh(x, uint(bitOff%8)))
	out := v.FillBytes(make([]byte, 16))
	slices.Reverse(out)
	copy(m.b[o:o+16], out)
}

func (m *fakeMem) cstring(addr uint64, max int) (string, bool) {
	var s []byte
	for i := range max {
		c, ok := m.read(addr+uint64(i), 1)
		if !ok {
			return "", false
		}
		if c[0] == 0 {
			return string(s), true
		}
		s = append(s, c[0])
	}
	return string(s), true
}

// eval is the reference semantics of a check, written independently of
// the generated code.
func (m *fakeMem) eval(ck *check) bool {
	base := m.base + skbAt
	for _, h := range ck.hops {
		raw, ok := m.read(base+uint64(h.off), 8)
		if !ok {
			return false
		}
		p := binary.LittleEndian.Uint64(raw)
		if h.hasMask {
			p &= h.mask
		}
		if p == 0 {
			return false
		}
		base = p
	}
	lf := ck.leaf
	switch lf.kind {
	case kCharArray:
		raw, ok := m.read(base+uint64(lf.bitOff/8), lf.arrayLen)
		if !ok {
			return false
		}
		s := string(raw)
		if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		return (s == ck.str) == (ck.op == "==")
	case kCharPtr:
		raw, ok := m.read(base+uint64(lf.bitOff/8), 8)
		if !ok {
			return false
		}
		p := binary.LittleEndian.Uint64(raw)
		if p == 0 {
			return false
		}
		s, ok := m.cstring(p, 64)
		if !ok {
			return false
		}
		return (s == ck.str) == (ck.op == "==")
	}
	v, ok := m.field(base, lf.bitOff, lf.bits, lf.signed)
	if !ok {
		return false
	}
	if lf.hasMask {
		v &= lf.mask
	}
	a, b := v, ck.value
	less, eq := a < b, a == b
	if lf.signed {
		less = int64(a) < int64(b)
	}
	switch ck.op {
	case "==":
		return eq
	case "!=":
		return !eq
	case "<":
		return less
	case "<=":
		return less || eq
	case ">":
		return !less && !eq
	}
	return !less // >=
}

func (m *fakeMem) evalNode(n node, checks map[*comparison]*check) bool {
	switch n := n.(type) {
	case *logical:
		if n.and {
			return m.evalNode(n.l, checks) && m.evalNode(n.r, checks)
		}
		return m.evalNode(n.l, checks) || m.evalNode(n.r, checks)
	case *negation:
		return !m.evalNode(n.x, checks)
	}
	return m.eval(checks[n.(*comparison)])
}

// scenario fills memory for the checks of one expression: a region per
// pointer path, pointers that are valid (with random bits where the mask
// clears them), null or unmapped, and fields often holding the value
// compared.
type scenario struct {
	r       *rand.Rand
	mem     *fakeMem
	regions map[string]uint64
	next    uint64
	ptrs    map[string]uint64
}

func (s *scenario) region(key string, size int) uint64 {
	if a, ok := s.regions[key]; ok {
		return a
	}
	// 64-byte aligned addresses leave room for masks clearing low bits.
	a := (s.mem.base+s.next+63)&^63 - s.mem.base
	s.next = a + uint64(size)
	if s.next > memSize {
		panic("fake memory too small")
	}
	s.regions[key] = s.mem.base + a
	return s.mem.base + a
}

// pointer returns the value to store for the pointer called key, decided
// once per trial.
func (s *scenario) pointer(key string, target uint64, mask uint64, hasMask bool) uint64 {
	if p, ok := s.ptrs[key]; ok {
		return p
	}
	var p uint64
	switch x := s.r.IntN(10); {
	case x == 0:
		p = 0
	case x == 1:
		p = 0x1000 + uint64(s.r.IntN(0x1000)) // unmapped
	default:
		p = target
		if hasMask {
			p |= s.r.Uint64() &^ mask
		}
	}
	s.ptrs[key] = p
	return p
}

func (s *scenario) fill(ck *check) {
	m := s.mem
	base := m.base + skbAt
	key := "sk_buff"
	for _, h := range ck.hops {
		key += "/" + itoa(h.off)
		size, err := btf.Sizeof(h.target)
		if err != nil {
			panic(err)
		}
		target := s.region(key, size)
		p := s.pointer(key, target, h.mask, h.hasMask)
		binary.LittleEndian.PutUint64(m.b[base-m.base+uint64(h.off):], p)
		if p != target && (!h.hasMask || p&h.mask != target) {
			return
		}
		base = target
	}
	lf := ck.leaf
	at := base - m.base + uint64(lf.bitOff/8)
	variant := func() []byte {
		str := []byte(ck.str)
		switch s.r.IntN(6) {
		case 0, 1:
			return str
		case 2:
			if len(str) > 0 {
				return str[:s.r.IntN(len(str))]
			}
		case 3:
			return append(slices.Clone(str), byte('a'+s.r.IntN(3)))
		case 4:
			if len(str) > 0 {
				c := slices.Clone(str)
				c[s.r.IntN(len(c))] ^= byte(1 + s.r.IntN(3))
				return c
			}
		}
		return []byte("x")
	}
	switch lf.kind {
	case kCharArray:
		v := variant()
		if len(v) > lf.arrayLen {
			v = v[:lf.arrayLen]
		}
		copy(m.b[at:], v)
		if len(v) < lf.arrayLen {
			m.b[at+uint64(len(v))] = 0
		}
	case kCharPtr:
		strAt := s.region(key+"/str"+itoa(lf.bitOff), 48)
		p := s.pointer(key+"/str"+itoa(lf.bitOff), strAt, 0, false)
		binary.LittleEndian.PutUint64(m.b[at:], p)
		v := append(variant(), 0)
		copy(m.b[strAt-m.base:], v)
	case kNumber:
		if s.r.IntN(3) == 0 {
			v := ck.value
			if lf.hasMask {
				v |= s.r.Uint64() &^ lf.mask
			}
			v += uint64(s.r.IntN(3)) - 1 // the value, one less or one more
			m.setField(base, lf.bitOff, lf.bits, v)
		}
	}
}

func itoa(v uint32) string { return big.NewInt(int64(v)).String() }

var semanticCases = []string{
	"sk_buff.len == 1500", "sk_buff.len > 1000", "sk_buff.len <= 7",
	"sk_buff.small < -3", "sk_buff.small >= 0", "sk_buff.small == -128",
	"sk_buff.flag", "not sk_buff.flag",
	"sk_buff.pkt_type == 5", "sk_buff.pkt_type > 3",
	"sk_buff.sbits < -2", "sk_buff.sbits == -8", "sk_buff.sbits > 3",
	"sk_buff.wide == 0xabcde", "sk_buff.wide:0xf0000 == 0x50000",
	"sk_buff.straddle == 9", "sk_buff.straddle >= 8",
	"sk_buff.sneg < -4000", "sk_buff.sneg == 8191", "sk_buff.sneg >= -1",
	"sk_buff.s64f < -1000", "sk_buff.s64f > 9223372036854775000", "sk_buff.s64f == -9223372036854775808",
	"sk_buff.u64f > 0x8000000000000000", "sk_buff.u64f:0xff00 == 0x1200", "sk_buff.u64f:~0xff == 0",
	"sk_buff.s16f <= -300", "sk_buff.u16f >= 0x8000", "sk_buff.inner_b < 0", "sk_buff.inner_c > 0x7fff",
	"sk_buff.colour == BLUE", "sk_buff.colour != GREEN", "sk_buff.temp == COLD", "sk_buff.temp < 0",
	`sk_buff.tag == "abc"`, `sk_buff.tag == "abcdefgh"`, `sk_buff.tag != ""`, `sk_buff.tag == ""`,
	`sk_buff.label == "hello"`, `sk_buff.label != "hello"`, `sk_buff.label == ""`,
	`sk_buff.label == "0123456789abcdef0123456789abcde"`,
	`sk_buff.dev.name == "eth0"`, `sk_buff.dev.name != "veth-long-name1"`, `sk_buff.dev.name == "0123456789abcdef"`,
	`sk_buff.dev.short_name == "abcd"`,
	"sk_buff.dev.mtu > 1500", "sk_buff.dev.ifindex == -1",
	"sk_buff.dev.nd_net.net.ns.inum == 4026531840",
	`sk_buff.dev.link_ops.kind == "veth"`,
	"sk_buff._nfct:~0x7:nf_conn.mark == 42",
	"sk_buff.dev_scratch:0xfffffffffffffff0:net_device.mtu == 9000",
	"sk_buff.dev:~0xf.mtu == 9000",
	"sk_buff.dev", "sk_buff.dev == 0",
	"sk_buff.peer.peer.len == 3",
	`sk_buff.len > 100 and sk_buff.dev.name == "eth0"`,
	"sk_buff.pkt_type == 1 or not (sk_buff.small < 0 and sk_buff.dev.mtu == 1500)",
	`(sk_buff.label == "x" || sk_buff.colour == RED) && !sk_buff.flag`,
	`not sk_buff.dev.name == "lo" and (sk_buff.sbits > 0 or sk_buff.peer.dev.mtu <= 1280)`,
}

// TestGeneratedCode runs compiled filters over made-up memory in the
// kernel and compares each verdict with eval's.
func TestGeneratedCode(t *testing.T) {
	requireHelpers(t)
	if !littleEndian {
		t.Skip("the reference evaluator reads bitfields in little-endian order")
	}
	m, err := ebpf.NewMap(&ebpf.MapSpec{Type: ebpf.Array, KeySize: 4, ValueSize: memSize, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	types := syntheticTypes()
	frame := make([]byte, 14)
	var base uint64

	const trials = 300
	for _, expr := range semanticCases {
		t.Run(expr, func(t *testing.T) {
			root, err := parse(expr)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Compile(expr, types)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := newResolver(expr, types)
			checks := make(map[*comparison]*check)
			var walk func(n node)
			walk = func(n node) {
				switch n := n.(type) {
				case *logical:
					walk(n.l)
					walk(n.r)
				case *negation:
					walk(n.x)
				case *comparison:
					ck, err := r.comparison(n)
					if err != nil {
						t.Fatal(err)
					}
					checks[n] = ck
				}
			}
			walk(root)

			prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.SchedCLS, License: "GPL", Instructions: memHarness(m, f.Instructions)})
			if err != nil {
				t.Fatalf("load: %+v", err)
			}
			defer prog.Close()
			if base == 0 {
				if _, err := prog.Run(&ebpf.RunOptions{Data: frame}); err != nil {
					t.Fatal(err)
				}
				v := make([]byte, memSize)
				if err := m.Lookup(uint32(0), v); err != nil {
					t.Fatal(err)
				}
				base = binary.LittleEndian.Uint64(v)
			}

			rnd := rand.New(rand.NewPCG(uint64(len(expr)), 1))
			var matched int
			for range trials {
				mem := &fakeMem{base: base, b: make([]byte, memSize)}
				for i := 8; i < memSize; i++ {
					mem.b[i] = byte(rnd.Uint32())
				}
				s := &scenario{r: rnd, mem: mem, regions: map[string]uint64{}, next: skbAt + 128, ptrs: map[string]uint64{}}
				s.regions["sk_buff"] = base + skbAt
				for _, ck := range checks {
					s.fill(ck)
				}
				binary.LittleEndian.PutUint64(mem.b, base)
				if err := m.Put(uint32(0), mem.b); err != nil {
					t.Fatal(err)
				}
				got, err := prog.Run(&ebpf.RunOptions{Data: frame})
				if err != nil {
					t.Fatal(err)
				}
				want := mem.evalNode(root, checks)
				if (got != 0) != want {
					t.Fatalf("got %d, want %v\n%v", got, want, f.Instructions)
				}
				if want {
					matched++
				}
			}
			if matched == 0 || matched == trials {
				t.Errorf("matched %d of %d trials: the scenarios do not tell", matched, trials)
			}
		})
	}
}
