package output

import "github.com/retis-go/retis/engine/events"

// Checksum states of skb->ip_summed.
const (
	csumNone        = 0
	csumUnnecessary = 1
	csumComplete    = 2
	csumPartial     = 3
)

// skbPrintable reports whether the skb section has anything to print: the
// accelerated VLAN tag only counts with link-layer output.
func skbPrintable(s *events.Skb, f *Format) bool {
	return (s.VlanAccel != nil && f.PrintLL) || s.Meta != nil || s.DataRef != nil || s.GSO != nil
}

func (r *renderer) skb(s *events.Skb, f *Format) {
	w := &r.w
	spaced := false
	space := func() {
		if spaced {
			w.byte1(' ')
		}
		spaced = true
	}

	if v := s.VlanAccel; v != nil && f.PrintLL {
		space()
		w.str("vlan_accel (ethertype ")
		r.ethertype(v.Proto)
		w.str(" vlan ")
		w.dec(uint64(v.Vid))
		w.str(" p ")
		w.dec(uint64(v.Pcp))
		if v.Dei {
			w.str(" DEI")
		}
		w.byte1(')')
	}

	if s.Meta != nil || s.DataRef != nil {
		space()
		w.str("skb [")
		if m := s.Meta; m != nil {
			w.str("csum ")
			switch m.IPSummed {
			case csumNone:
				w.str("none ")
			case csumUnnecessary:
				w.str("unnecessary (level ")
				w.dec(uint64(m.CsumLevel))
				w.str(") ")
			case csumComplete:
				w.str("complete (")
				w.hex0x(uint64(m.Csum))
				w.str(") ")
			case csumPartial:
				// csum holds csum_start in its low half and
				// csum_offset in its high half.
				w.str("partial (start ")
				w.dec(uint64(m.Csum & 0xffff))
				w.str(" off ")
				w.dec(uint64(m.Csum >> 16))
				w.str(") ")
			default:
				w.str("unknown (")
				w.dec(uint64(m.IPSummed))
				w.str(") ")
			}
			if m.Hash != 0 {
				w.str("hash ")
				w.hex0x(uint64(m.Hash))
				w.byte1(' ')
			}
			w.str("len ")
			w.dec(uint64(m.Len))
			w.byte1(' ')
			if m.DataLen != 0 {
				w.str("data_len ")
				w.dec(uint64(m.DataLen))
				w.byte1(' ')
			}
			w.str("priority ")
			w.dec(uint64(m.Priority))
		}
		if s.Meta != nil && s.DataRef != nil {
			w.byte1(' ')
		}
		if d := s.DataRef; d != nil {
			if d.Nohdr {
				w.str("nohdr ")
			}
			if d.Cloned {
				w.str("cloned ")
			}
			if d.Fclone > 0 {
				w.str("fclone ")
				w.dec(uint64(d.Fclone))
				w.byte1(' ')
			}
			w.str("users ")
			w.dec(uint64(d.Users))
			w.str(" dataref ")
			w.dec(uint64(d.Dataref))
		}
		w.byte1(']')
	}

	if g := s.GSO; g != nil {
		space()
		w.str("gso [type ")
		w.hex0x(uint64(g.Type))
		w.byte1(' ')
		if g.Flags != 0 {
			w.str("flags ")
			w.hex0x(uint64(g.Flags))
			w.byte1(' ')
		}
		if g.Frags != 0 {
			w.str("frags ")
			w.dec(uint64(g.Frags))
			w.byte1(' ')
		}
		if g.Segs != 0 {
			w.str("segs ")
			w.dec(uint64(g.Segs))
			w.byte1(' ')
		}
		w.str("size ")
		w.dec(uint64(g.Size))
		w.byte1(']')
	}
}
