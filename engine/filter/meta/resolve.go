package meta

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cilium/ebpf/btf"
)

// Types looks kernel types up by name; *btf.Spec implements it (see
// btf.LoadKernelSpec). Tests may use any BTF, such as a snapshot file.
type Types interface {
	AnyTypesByName(name string) ([]btf.Type, error)
}

// rootType is the only struct a filter may start from: the placeholder
// receives an sk_buff.
const rootType = "sk_buff"

// maxString is the longest string a filter compares, in bytes.
const maxString = 31

type leafKind int

const (
	kNumber    leafKind = iota
	kCharArray          // char name[N]
	kCharPtr            // char *name
)

// hop is a pointer read at off bytes from the current base, optionally
// masked, that becomes the new base.
type hop struct {
	off     uint32
	hasMask bool
	mask    uint64
	target  btf.Type // the struct pointed to
}

// leaf says how to read the compared field from the last base.
type leaf struct {
	kind   leafKind
	bitOff uint32 // offset of the field from the base, in bits
	off    uint32 // byte offset of the read
	size   int    // bytes read: 1, 2, 4 or 8 for numbers
	// Numbers: shifts turning the zero-extended read into the value
	// (bitfields, sign extension), signedness and width in bits.
	lsh, rsh int
	signed   bool
	bits     int
	hasMask  bool
	mask     uint64
	arrayLen int       // kCharArray
	enum     *btf.Enum // set for enums
	desc     string    // the type, for messages
}

// check is one resolved comparison.
type check struct {
	path  string
	hops  []hop
	leaf  leaf
	op    string
	value uint64 // numbers, as 64 bits (sign-extended for signed fields)
	str   string
}

type resolver struct {
	expr  string
	types Types
	root  btf.Type
}

func (r *resolver) errAt(pos int, format string, args ...any) error {
	return &Error{Expr: r.expr, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func newResolver(expr string, types Types) (*resolver, error) {
	r := &resolver{expr: expr, types: types}
	root, err := r.composite(rootType)
	if err != nil {
		return nil, fmt.Errorf("meta filter: kernel BTF: %w", err)
	}
	r.root = root
	return r, nil
}

// composite finds the struct or union called name.
func (r *resolver) composite(name string) (btf.Type, error) {
	types, err := r.types.AnyTypesByName(name)
	if err != nil && !errors.Is(err, btf.ErrNotFound) {
		return nil, err
	}
	for _, t := range types {
		switch u := btf.UnderlyingType(t).(type) {
		case *btf.Struct, *btf.Union:
			return u, nil
		}
	}
	return nil, fmt.Errorf("no struct or union %s: %w", name, btf.ErrNotFound)
}

func members(t btf.Type) []btf.Member {
	switch c := t.(type) {
	case *btf.Struct:
		return c.Members
	case *btf.Union:
		return c.Members
	}
	return nil
}

// findMember looks name up in t, descending into anonymous structs and
// unions as C does; the offset is in bits from the start of t.
func findMember(t btf.Type, name string) (btf.Member, uint32, bool) {
	for _, m := range members(t) {
		if m.Name == name {
			return m, uint32(m.Offset), true
		}
		if m.Name == "" {
			if inner, off, ok := findMember(btf.UnderlyingType(m.Type), name); ok {
				return inner, uint32(m.Offset) + off, true
			}
		}
	}
	return btf.Member{}, 0, false
}

// memberNames lists the names findMember can find in t.
func memberNames(t btf.Type) []string {
	var names []string
	for _, m := range members(t) {
		if m.Name == "" {
			names = append(names, memberNames(btf.UnderlyingType(m.Type))...)
		} else if !strings.HasPrefix(m.Name, "__") || !isZeroArray(m.Type) {
			names = append(names, m.Name)
		}
	}
	return names
}

// isZeroArray spots markers such as sk_buff's __pkt_type_offset[0].
func isZeroArray(t btf.Type) bool {
	a, ok := btf.UnderlyingType(t).(*btf.Array)
	return ok && a.Nelems == 0
}

func typeName(t btf.Type) string {
	switch t := t.(type) {
	case *btf.Pointer:
		return "pointer to " + typeName(t.Target)
	case *btf.Array:
		return fmt.Sprintf("%s[%d]", typeName(t.Type), t.Nelems)
	case *btf.Struct:
		return "struct " + t.Name
	case *btf.Union:
		return "union " + t.Name
	case *btf.Enum:
		return "enum " + t.Name
	case *btf.Const:
		return typeName(t.Type)
	case *btf.Volatile:
		return typeName(t.Type)
	case *btf.Restrict:
		return typeName(t.Type)
	case *btf.TypeTag:
		return typeName(t.Type)
	case *btf.FuncProto:
		return "function"
	case *btf.Void:
		return "void"
	}
	if t.TypeName() != "" {
		return t.TypeName()
	}
	return fmt.Sprintf("%T", t)
}

func (r *resolver) comparison(c *comparison) (*check, error) {
	root := c.path[0]
	if root.name != rootType {
		msg := fmt.Sprintf("a field starts from %s (the only struct a filter sees), not %q", rootType, root.name)
		if m, _, ok := findMember(r.root, root.name); ok && m.Name != "" {
			msg += fmt.Sprintf(": did you mean %s.%s?", rootType, root.name)
		}
		return nil, r.errAt(root.pos, "%s", msg)
	}
	if len(c.path) == 1 {
		return nil, r.errAt(root.pos, "name a member of %s (e.g. %s.mark)", rootType, rootType)
	}

	ck := &check{}
	cur := r.root
	curName := rootType
	var offBits uint32
	for i, seg := range c.path[1:] {
		path := curName + "." + seg.name
		m, moff, ok := findMember(cur, seg.name)
		if !ok {
			return nil, r.errAt(seg.pos, "%s has no member %q%s", typeName(cur), seg.name, suggest(seg.name, memberNames(cur)))
		}
		offBits += moff
		t := btf.UnderlyingType(m.Type)
		if i == len(c.path)-2 {
			if seg.cast != "" {
				return nil, r.errAt(seg.castPos, "%s is the compared field: casts apply to the pointers followed on the way", path)
			}
			lf, err := r.leaf(seg, path, m, t, offBits)
			if err != nil {
				return nil, err
			}
			ck.path, ck.leaf = path, lf
			break
		}
		next := c.path[i+2]
		if m.BitfieldSize > 0 {
			return nil, r.errAt(next.pos, "%s is a bitfield: it has no member %q", path, next.name)
		}
		switch t := t.(type) {
		case *btf.Struct, *btf.Union:
			if seg.hasMask {
				return nil, r.errAt(seg.pos, "%s is a %s: masks apply to numbers and pointers", path, typeName(t))
			}
			if seg.cast != "" {
				return nil, r.errAt(seg.castPos, "%s is a %s, not a pointer: it cannot be cast", path, typeName(t))
			}
			cur = t
		case *btf.Pointer, *btf.Int:
			var target btf.Type
			if ptr, ok := t.(*btf.Pointer); ok {
				target = btf.UnderlyingType(ptr.Target)
			} else if t.(*btf.Int).Size != 8 || seg.cast == "" {
				return nil, r.errAt(next.pos, "%s is %s, not a struct: it has no member %q%s", path, typeName(t), next.name, castHint(path, t))
			}
			if seg.cast != "" {
				ct, err := r.composite(seg.cast)
				if err != nil {
					return nil, r.errAt(seg.castPos, "cannot cast %s to %q: %v", path, seg.cast, err)
				}
				target = ct
			}
			switch target.(type) {
			case *btf.Struct, *btf.Union:
			case *btf.Pointer:
				return nil, r.errAt(seg.pos, "%s is a pointer to a pointer: only pointers to structs are followed", path)
			default:
				return nil, r.errAt(next.pos, "%s points to %s, not a struct: it has no member %q", path, typeName(target), next.name)
			}
			if offBits%8 != 0 {
				return nil, r.errAt(seg.pos, "%s is not byte-aligned", path)
			}
			ck.hops = append(ck.hops, hop{off: offBits / 8, hasMask: seg.hasMask, mask: seg.mask, target: target})
			offBits = 0
			cur = target
		default:
			return nil, r.errAt(next.pos, "%s is %s, not a struct: it has no member %q", path, typeName(t), next.name)
		}
		curName = path
	}
	if err := r.operand(c, ck); err != nil {
		return nil, err
	}
	return ck, nil
}

func castHint(path string, t btf.Type) string {
	if i, ok := t.(*btf.Int); ok && i.Size == 8 {
		return fmt.Sprintf(" (to follow it as a pointer, cast it: %s:~0x0:STRUCT)", path)
	}
	return ""
}

// leaf resolves the compared field m, of underlying type t, at offBits
// from the last base.
func (r *resolver) leaf(seg segment, path string, m btf.Member, t btf.Type, offBits uint32) (leaf, error) {
	lf := leaf{bitOff: offBits, desc: typeName(m.Type)}
	switch t := t.(type) {
	case *btf.Int:
		if t.Size > 8 {
			return lf, r.errAt(seg.pos, "%s is a %d-byte integer: at most 8 bytes are compared", path, t.Size)
		}
		lf.size, lf.signed = int(t.Size), t.Encoding&btf.Signed != 0
	case *btf.Enum:
		lf.size, lf.signed, lf.enum = int(t.Size), t.Signed, t
	case *btf.Pointer:
		if i, ok := btf.UnderlyingType(t.Target).(*btf.Int); ok && i.Size == 1 {
			lf.kind, lf.size = kCharPtr, 8
		} else {
			lf.size = 8
		}
	case *btf.Array:
		if i, ok := btf.UnderlyingType(t.Type).(*btf.Int); ok && i.Size == 1 {
			lf.kind, lf.arrayLen = kCharArray, int(t.Nelems)
		} else {
			return lf, r.errAt(seg.pos, "%s is %s: only char arrays are compared (as strings)", path, lf.desc)
		}
	case *btf.Struct, *btf.Union:
		names := memberNames(t)
		if len(names) > 6 {
			names = append(names[:6], "...")
		}
		return lf, r.errAt(seg.pos, "%s is a %s: compare one of its members (%s)", path, typeName(t), strings.Join(names, ", "))
	default:
		return lf, r.errAt(seg.pos, "%s is %s, which filters cannot compare", path, lf.desc)
	}

	if lf.kind != kNumber {
		if seg.hasMask {
			return lf, r.errAt(seg.pos, "%s is a string (%s): masks apply to numbers and pointers", path, lf.desc)
		}
		if offBits%8 != 0 {
			return lf, r.errAt(seg.pos, "%s is not byte-aligned", path)
		}
		lf.off = offBits / 8
		return lf, nil
	}

	if bs := int(m.BitfieldSize); bs > 0 {
		if err := bitfield(&lf, int(offBits), bs); err != nil {
			return lf, r.errAt(seg.pos, "%s: %v", path, err)
		}
		sign := "unsigned"
		if lf.signed {
			sign = "signed"
		}
		lf.desc = fmt.Sprintf("%d-bit %s bitfield", bs, sign)
	} else {
		if offBits%8 != 0 {
			return lf, r.errAt(seg.pos, "%s is not byte-aligned", path)
		}
		lf.off, lf.bits = offBits/8, 8*lf.size
		if lf.signed && lf.size < 8 {
			lf.lsh, lf.rsh = 64-lf.bits, 64-lf.bits
		}
	}
	if seg.hasMask {
		if lf.signed {
			return lf, r.errAt(seg.pos, "%s is signed (%s): masks apply to unsigned numbers and pointers", path, lf.desc)
		}
		lf.hasMask, lf.mask = true, seg.mask
	}
	return lf, nil
}

// bitfield sets the read and shifts extracting a bitSz-bit field at bitOff
// bits from the base, reading the field's type size if it holds the field,
// a wider aligned word otherwise (as libbpf's CO-RE bitfield reads do).
func bitfield(lf *leaf, bitOff, bitSz int) error {
	size := lf.size
	byteOff := bitOff / 8 / size * size
	for bitOff+bitSz-byteOff*8 > size*8 {
		if size >= 8 {
			return fmt.Errorf("bitfield spans more than 8 bytes")
		}
		size *= 2
		byteOff = bitOff / 8 / size * size
	}
	lf.off, lf.size, lf.bits = uint32(byteOff), size, bitSz
	if littleEndian {
		lf.lsh = 64 - (bitOff + bitSz - byteOff*8)
	} else {
		lf.lsh = (8-size)*8 + (bitOff - byteOff*8)
	}
	lf.rsh = 64 - bitSz
	return nil
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

var numericOps = []string{"==", "!=", "<", "<=", ">", ">="}

// operand checks the operator and value against the field.
func (r *resolver) operand(c *comparison, ck *check) error {
	lf := ck.leaf
	ck.op = c.op
	if lf.kind != kNumber {
		switch {
		case c.op == "":
			return r.errAt(c.path[0].pos, "%s is a string (%s): compare it with == or != and a quoted string", ck.path, lf.desc)
		case c.op != "==" && c.op != "!=":
			return r.errAt(c.opAt, "%s is a string (%s): strings compare with == and != only, not %s", ck.path, lf.desc, c.op)
		case c.val.kind != tString:
			return r.errAt(c.val.pos, "%s is a string (%s): compare it with a quoted string, not %s", ck.path, lf.desc, c.val.text)
		case len(c.val.text) > maxString:
			return r.errAt(c.val.pos, "strings compared are at most %d bytes, this one has %d", maxString, len(c.val.text))
		case lf.kind == kCharArray && len(c.val.text) > lf.arrayLen:
			return r.errAt(c.val.pos, "%q (%d bytes) is longer than %s (%s): it never matches", c.val.text, len(c.val.text), ck.path, lf.desc)
		}
		ck.str = c.val.text
		return nil
	}

	if c.op == "" {
		ck.op, ck.value = "!=", 0
		return nil
	}
	if !slices.Contains(numericOps, c.op) {
		return r.errAt(c.opAt, "unknown operator %s", c.op)
	}
	v := c.val
	switch v.kind {
	case tString:
		return r.errAt(v.pos, "%s is a number (%s): compare it with a number, not a string", ck.path, lf.desc)
	case tIdent:
		if lf.enum == nil {
			return r.errAt(v.pos, "%s is a number (%s): %q is not a number", ck.path, lf.desc, v.text)
		}
		var names []string
		for _, ev := range lf.enum.Values {
			if ev.Name == v.text {
				ck.value = ev.Value
				if lf.signed {
					ck.value = uint64(signExtend(ev.Value, 8*int(lf.enum.Size)))
				}
				return nil
			}
			names = append(names, ev.Name)
		}
		return r.errAt(v.pos, "%s has no enumerator %q%s", typeName(lf.enum), v.text, suggest(v.text, names))
	}

	bits := lf.bits
	if lf.signed {
		lo, hi := -int64(1)<<(bits-1), uint64(1)<<(bits-1)-1
		if bits == 64 {
			lo = math.MinInt64
		}
		if v.neg && v.mag > uint64(-lo) || !v.neg && v.mag > hi {
			return r.errAt(v.pos, "%s does not fit %s (%s: %d..%d)", v.text, ck.path, lf.desc, lo, hi)
		}
		ck.value = v.mag
		if v.neg {
			ck.value = -v.mag
		}
		return nil
	}
	max := uint64(math.MaxUint64)
	if bits < 64 {
		max = uint64(1)<<bits - 1
	}
	if v.neg || v.mag > max {
		return r.errAt(v.pos, "%s does not fit %s (%s: 0..%d)", v.text, ck.path, lf.desc, max)
	}
	ck.value = v.mag
	return nil
}

func signExtend(v uint64, bits int) int64 {
	shift := 64 - bits
	return int64(v<<shift) >> shift
}
