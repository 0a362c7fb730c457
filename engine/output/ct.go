package output

import "github.com/retis-go/retis/engine/events"

func (r *renderer) ct(c *events.Ct, multiline bool) {
	w := &r.w
	w.str("ct_state ")
	switch c.State {
	case "established":
		w.str("ESTABLISHED")
	case "related":
		w.str("RELATED")
	case "new":
		w.str("NEW")
	case "reply":
		w.str("REPLY")
	case "related_reply":
		w.str("RELATED_REPLY")
	case "untracked":
		w.str("UNTRACKED")
	default:
		// Retis refuses unknown states; keep what the file says.
		w.buf = appendUpper(w.b(), c.State)
	}
	w.byte1(' ')
	r.ctConn(&c.CtConn)
	if c.Parent != nil {
		if multiline {
			w.str("\n\\")
		}
		w.str(" parent [")
		r.ctConn(c.Parent)
		w.byte1(']')
	}
}

func (r *renderer) ctConn(c *events.CtConn) {
	w := &r.w
	w.str("status ")
	w.hex0x(c.CtStatus)
	w.byte1(' ')

	o, p := &c.Orig, &c.Reply
	switch {
	case o.Proto.TCP != nil && p.Proto.TCP != nil:
		w.str("tcp (")
		r.protoState(c.ProtoState)
		w.str(") orig [")
		r.ctPorts(&o.IP, o.Proto.TCP.Sport, o.Proto.TCP.Dport)
		w.str("] reply [")
		r.ctPorts(&p.IP, p.Proto.TCP.Sport, p.Proto.TCP.Dport)
		w.str("] ")
	case o.Proto.UDP != nil && p.Proto.UDP != nil:
		w.str("udp orig [")
		r.ctPorts(&o.IP, o.Proto.UDP.Sport, o.Proto.UDP.Dport)
		w.str("] reply [")
		r.ctPorts(&p.IP, p.Proto.UDP.Sport, p.Proto.UDP.Dport)
		w.str("] ")
	case o.Proto.ICMP != nil && p.Proto.ICMP != nil:
		w.str("icmp orig [")
		r.ctICMP(&o.IP, o.Proto.ICMP)
		w.str("] reply [")
		r.ctICMP(&p.IP, p.Proto.ICMP)
		w.str("] ")
	case o.Proto.SCTP != nil && p.Proto.SCTP != nil:
		w.str("sctp (")
		r.protoState(c.ProtoState)
		w.str(") orig [")
		r.ctSCTP(&o.IP, o.Proto.SCTP)
		w.str("] reply [")
		r.ctSCTP(&p.IP, p.Proto.SCTP)
		w.str("] ")
	}

	switch c.ZoneDir {
	case "Original":
		w.str("orig-zone ")
		w.dec(uint64(c.ZoneID))
	case "Reply":
		w.str("reply-zone ")
		w.dec(uint64(c.ZoneID))
	case "Default":
		w.str("zone ")
		w.dec(uint64(c.ZoneID))
	}
	if c.Mark != nil {
		w.str(" mark ")
		w.dec(uint64(*c.Mark))
	}
	if c.Labels != nil {
		w.str(" labels 0x")
		if c.Labels.Hi != 0 {
			w.hex(c.Labels.Hi)
			w.buf = appendHexPadded(w.b(), c.Labels.Lo, 16)
		} else {
			w.hex(c.Labels.Lo)
		}
	}
}

func (r *renderer) protoState(s *string) {
	if s == nil {
		r.w.str("UNKNOWN")
		return
	}
	r.w.str(*s)
}

// ctPorts prints "src.sport > dst.dport".
func (r *renderer) ctPorts(ip *events.CtIP, sport, dport uint16) {
	w := &r.w
	w.str(ip.Src)
	w.byte1('.')
	w.dec(uint64(sport))
	w.str(" > ")
	w.str(ip.Dst)
	w.byte1('.')
	w.dec(uint64(dport))
}

func (r *renderer) ctICMP(ip *events.CtIP, i *events.CtICMP) {
	w := &r.w
	w.str(ip.Src)
	w.str(" > ")
	w.str(ip.Dst)
	w.str(" type ")
	w.dec(uint64(i.Type))
	w.str(" code ")
	w.dec(uint64(i.Code))
	w.str(" id ")
	w.dec(uint64(i.ID))
}

func (r *renderer) ctSCTP(ip *events.CtIP, s *events.CtSCTP) {
	w := &r.w
	r.ctPorts(ip, s.Sport, s.Dport)
	w.str(" vtag ")
	w.hex0x(uint64(s.Vtag))
}

func appendUpper(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}
