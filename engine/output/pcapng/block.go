package pcapng

import (
	"encoding/binary"
	"unicode/utf8"
)

// The blocks are encoded here rather than with gopacket's pcapgo.NgWriter,
// which cannot write what a Retis capture holds: a custom block (the event
// schema) placed between the section header and the first interface
// (NgWriter writes both in its constructor), and a custom option on every
// packet (NgPacketOptions has no such member). That leaves it only the
// interface blocks, not worth a second buffered writer to keep in step.
// Tests read our output back with pcapgo.NgReader, tcpdump and tshark.

// Block types (pcap-ng, draft-ietf-opsawg-pcapng).
const (
	blockSectionHeader   = 0x0a0d0d0a
	blockInterface       = 0x00000001
	blockEnhancedPacket  = 0x00000006
	blockCustomCopiable  = 0x00000bad
	byteOrderMagic       = 0x1a2b3c4d
	linkTypeEthernet     = 1
	interfaceSnapLen     = 0xffff
	nanosecondResolution = 9
)

// Option codes.
const (
	optEndOfOptions        = 0
	optComment             = 1
	optInterfaceName       = 2
	optInterfaceDescr      = 3
	optInterfaceTsResol    = 9
	optCustomUTF8Copiable  = 2988
	maxOptionLen           = 0xffff
	maxCustomOptionPayload = maxOptionLen - 4 // the PEN comes first
)

// RetisPEN is the Private Enterprise Number Retis puts on its custom block
// and options (not registered with IANA).
const RetisPEN = 70000

var (
	le            = binary.LittleEndian
	retisPENBytes = le.AppendUint32(nil, RetisPEN)
)

// beginBlock appends a block header with a length to be patched by
// endBlock, and returns where the block starts.
func beginBlock(b []byte, typ uint32) ([]byte, int) {
	start := len(b)
	b = le.AppendUint32(b, typ)
	b = le.AppendUint32(b, 0)
	return b, start
}

// endBlock pads the body, appends the trailing length and patches the
// leading one.
func endBlock(b []byte, start int) []byte {
	b = pad(b, len(b)-start)
	n := uint32(len(b) - start + 4)
	b = le.AppendUint32(b, n)
	le.PutUint32(b[start+4:], n)
	return b
}

// pad appends zeros so that n becomes a multiple of 4.
func pad(b []byte, n int) []byte {
	return append(b, make([]byte, (4-n%4)%4)...)
}

// appendOption appends one option whose value is the concatenation of
// parts; the caller keeps it within maxOptionLen.
func appendOption(b []byte, code uint16, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b = le.AppendUint16(b, code)
	b = le.AppendUint16(b, uint16(n))
	for _, p := range parts {
		b = append(b, p...)
	}
	return pad(b, n)
}

func appendEndOfOptions(b []byte) []byte {
	return le.AppendUint32(b, optEndOfOptions)
}

// appendSectionHeader appends a section header of unknown length and no
// options, as Retis writes it.
func appendSectionHeader(b []byte) []byte {
	b, start := beginBlock(b, blockSectionHeader)
	b = le.AppendUint32(b, byteOrderMagic)
	b = le.AppendUint16(b, 1) // version 1.0
	b = le.AppendUint16(b, 0)
	b = le.AppendUint64(b, ^uint64(0)) // section length not given
	return endBlock(b, start)
}

// appendCustomBlock appends a copiable custom block of Retis's PEN.
func appendCustomBlock(b, data []byte) []byte {
	b, start := beginBlock(b, blockCustomCopiable)
	b = le.AppendUint32(b, RetisPEN)
	b = append(b, data...)
	return endBlock(b, start)
}

// appendInterface appends an Ethernet interface with nanosecond
// timestamps.
func appendInterface(b []byte, name, descr string) []byte {
	b, start := beginBlock(b, blockInterface)
	b = le.AppendUint16(b, linkTypeEthernet)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, interfaceSnapLen)
	b = appendOption(b, optInterfaceName, []byte(truncate(name, maxOptionLen)))
	b = appendOption(b, optInterfaceDescr, []byte(truncate(descr, maxOptionLen)))
	b = appendOption(b, optInterfaceTsResol, []byte{nanosecondResolution})
	b = appendEndOfOptions(b)
	return endBlock(b, start)
}

// packet is what an enhanced packet block holds.
type packet struct {
	iface   uint32
	ts      uint64 // nanoseconds
	origLen uint32
	data    []byte
	comment string // none when empty
	json    []byte // Retis custom option; none when nil
}

func appendPacket(b []byte, p *packet) []byte {
	b, start := beginBlock(b, blockEnhancedPacket)
	b = le.AppendUint32(b, p.iface)
	b = le.AppendUint32(b, uint32(p.ts>>32))
	b = le.AppendUint32(b, uint32(p.ts))
	b = le.AppendUint32(b, uint32(len(p.data)))
	b = le.AppendUint32(b, p.origLen)
	b = append(b, p.data...)
	b = pad(b, len(p.data))
	if p.comment == "" && p.json == nil {
		return endBlock(b, start)
	}
	if p.comment != "" {
		b = appendOption(b, optComment, []byte(truncate(p.comment, maxOptionLen)))
	}
	if p.json != nil {
		b = appendOption(b, optCustomUTF8Copiable, retisPENBytes, p.json)
	}
	b = appendEndOfOptions(b)
	return endBlock(b, start)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
