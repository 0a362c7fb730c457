package pcapng

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// A small pcap-ng walker for the tests, independent of the encoder: it
// splits a little-endian file into blocks and packet blocks into fields
// and options.

type rawBlock struct {
	typ  uint32
	raw  []byte // the whole block
	body []byte // between the length fields
}

func splitBlocks(t *testing.T, b []byte) []rawBlock {
	t.Helper()
	var out []rawBlock
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			t.Fatalf("offset %d: %d trailing bytes", off, len(b)-off)
		}
		typ := binary.LittleEndian.Uint32(b[off:])
		n := int(binary.LittleEndian.Uint32(b[off+4:]))
		if n < 12 || n%4 != 0 || off+n > len(b) {
			t.Fatalf("offset %d: bad block length %d", off, n)
		}
		if tail := int(binary.LittleEndian.Uint32(b[off+n-4:])); tail != n {
			t.Fatalf("offset %d: trailing length %d != %d", off, tail, n)
		}
		out = append(out, rawBlock{typ: typ, raw: b[off : off+n], body: b[off+8 : off+n-4]})
		off += n
	}
	return out
}

type option struct {
	code uint16
	val  []byte
}

func splitOptions(t *testing.T, b []byte) []option {
	t.Helper()
	var out []option
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatalf("truncated option header")
		}
		code, n := binary.LittleEndian.Uint16(b), int(binary.LittleEndian.Uint16(b[2:]))
		if code == optEndOfOptions {
			if len(b) != 4 {
				t.Fatalf("%d bytes after end of options", len(b)-4)
			}
			return out
		}
		padded := n + (4-n%4)%4
		if 4+padded > len(b) {
			t.Fatalf("option %d overruns its block", code)
		}
		out = append(out, option{code, b[4 : 4+n]})
		b = b[4+padded:]
	}
	if len(out) > 0 {
		t.Fatalf("options without end of options")
	}
	return out
}

type epb struct {
	iface, capLen, origLen uint32
	ts                     uint64
	data                   []byte
	opts                   []option
}

func parseEPB(t *testing.T, blk rawBlock) epb {
	t.Helper()
	if blk.typ != blockEnhancedPacket {
		t.Fatalf("block type %#x, want an enhanced packet block", blk.typ)
	}
	b := blk.body
	le := binary.LittleEndian
	p := epb{
		iface:   le.Uint32(b),
		ts:      uint64(le.Uint32(b[4:]))<<32 | uint64(le.Uint32(b[8:])),
		capLen:  le.Uint32(b[12:]),
		origLen: le.Uint32(b[16:]),
	}
	n := int(p.capLen)
	p.data = b[20 : 20+n]
	p.opts = splitOptions(t, b[20+n+(4-n%4)%4:])
	return p
}

func (p epb) String() string {
	return fmt.Sprintf("if %d ts %d len %d/%d", p.iface, p.ts, p.capLen, p.origLen)
}
