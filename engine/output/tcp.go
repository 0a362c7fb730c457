package output

import "encoding/binary"

// TCP option kinds Retis prints with arguments.
const (
	tcpOptEOL       = 0
	tcpOptNOP       = 1
	tcpOptMSS       = 2
	tcpOptWScale    = 3
	tcpOptSACK      = 5
	tcpOptEcho      = 6
	tcpOptEchoReply = 7
	tcpOptTS        = 8
	tcpOptCC        = 11
	tcpOptCCNew     = 12
	tcpOptCCEcho    = 13
	tcpOptTFO       = 34
)

var tcpOptNames = [256]string{
	0: "eol", 1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack",
	6: "echo", 7: "echoreply", 8: "TS", 11: "cc", 12: "ccnew", 13: "ccecho",
	19: "md5", 20: "scps", 28: "uto", 29: "tcp-ao", 30: "mptcp", 34: "tfo",
	254: "exp",
}

// tcp prints the TCP header decoded in r.pkt.tcp; data is the header and
// what follows, plen the transport length announced by the IP header.
func (r *renderer) tcp(data []byte, plen uint32) {
	t := &r.pkt.tcp
	w := &r.w

	w.str(" flags [")
	for _, fl := range [...]struct {
		set bool
		c   byte
	}{{t.FIN, 'F'}, {t.SYN, 'S'}, {t.RST, 'R'}, {t.PSH, 'P'}, {t.ACK, '.'}, {t.URG, 'U'}, {t.ECE, 'E'}, {t.CWR, 'W'}, {t.NS, 'e'}} {
		if fl.set {
			w.byte1(fl.c)
		}
	}
	w.byte1(']')

	hdr := uint32(t.DataOffset) * 4
	w.str(" seq ")
	w.dec(uint64(t.Seq))
	if n := satSub(plen, hdr); n > 0 {
		w.byte1(':')
		w.dec(uint64(t.Seq + n))
	}
	if t.ACK {
		w.str(" ack ")
		w.dec(uint64(t.Ack))
	}
	w.str(" win ")
	w.dec(uint64(t.Window))

	if hdr > tcpLen {
		w.str(" [")
		r.tcpOptions(data[tcpLen:min(int(hdr), len(data))])
		w.byte1(']')
	}
}

// tcpOptions prints the options as Retis does. gopacket's option list
// cannot be used: it stops at end-of-list and drops malformed options,
// while Retis walks the whole option space (printing each padding byte as
// "eol") and prints what it can of a cut option.
func (r *renderer) tcpOptions(opts []byte) {
	w := &r.w
	for i := 0; len(opts) > 0; i++ {
		kind := opts[0]
		// End-of-list and no-op have no length byte; a missing or
		// short length means no data.
		hdr, dataLen := 1, 0
		if kind != tcpOptEOL && kind != tcpOptNOP {
			hdr = 2
			if len(opts) >= 2 && opts[1] >= 2 {
				dataLen = int(opts[1]) - 2
			}
		}
		val := opts[min(hdr, len(opts)):min(hdr+dataLen, len(opts))]
		opts = opts[min(hdr+dataLen, len(opts)):]

		if i > 0 {
			w.byte1(',')
		}
		if name := tcpOptNames[kind]; name != "" {
			w.str(name)
		} else {
			w.byte1('?')
		}

		switch kind {
		case tcpOptMSS:
			if len(val) >= 2 {
				w.byte1(' ')
				w.dec(uint64(binary.BigEndian.Uint16(val)))
			}
		case tcpOptWScale:
			if len(val) >= 1 {
				w.byte1(' ')
				w.dec(uint64(val[0]))
			}
		case tcpOptSACK:
			if dataLen%8 != 0 {
				w.str(" invalid")
				break
			}
			w.byte1(' ')
			w.dec(uint64(dataLen / 8))
			w.byte1(' ')
			for j := 0; j+8 <= len(val); j += 8 {
				w.byte1('{')
				w.dec(uint64(binary.BigEndian.Uint32(val[j:])))
				w.byte1(':')
				w.dec(uint64(binary.BigEndian.Uint32(val[j+4:])))
				w.byte1('}')
			}
		case tcpOptEcho, tcpOptEchoReply, tcpOptCC, tcpOptCCNew, tcpOptCCEcho:
			if len(val) >= 4 {
				w.byte1(' ')
				w.dec(uint64(binary.BigEndian.Uint32(val)))
			}
		case tcpOptTS:
			if len(val) >= 8 {
				w.str(" val ")
				w.dec(uint64(binary.BigEndian.Uint32(val)))
				w.str(" ecr ")
				w.dec(uint64(binary.BigEndian.Uint32(val[4:])))
			}
		case tcpOptTFO:
			if dataLen == 0 {
				w.str(" cookiereq")
				break
			}
			w.str(" cookie ")
			for j := 0; j < dataLen; j++ {
				if j < len(val) {
					w.hex0x(uint64(val[j]))
				} else {
					w.str("??")
				}
			}
		}
	}
}
