package output

import "github.com/retis-go/retis/engine/events"

// ovsPrintable reports whether the ovs section holds its variant.
func ovsPrintable(o *events.OVS) bool {
	return o.Upcall != nil || o.UpcallEnqueue != nil || o.UpcallReturn != nil ||
		o.RecvUpcall != nil || o.FlowOperation != nil || o.Action != nil || o.FlowLookup != nil
}

func (r *renderer) ovs(o *events.OVS, multiline bool) {
	w := &r.w
	switch {
	case o.Upcall != nil:
		u := o.Upcall
		w.str("upcall")
		w.str(upcallCmd(u.Cmd))
		w.str(" port ")
		w.dec(uint64(u.Port))
		w.str(" cpu ")
		w.dec(uint64(u.CPU))
	case o.UpcallEnqueue != nil:
		u := o.UpcallEnqueue
		w.str("upcall_enqueue")
		w.str(upcallCmd(u.Cmd))
		w.str(" (")
		w.dec(uint64(u.UpcallCPU))
		w.byte1('/')
		w.dec(u.UpcallTs)
		w.str(") q ")
		w.dec(uint64(u.QueueID))
		w.str(" ret ")
		w.sdec(int64(u.Ret))
	case o.UpcallReturn != nil:
		u := o.UpcallReturn
		w.str("upcall_ret (")
		w.dec(uint64(u.UpcallCPU))
		w.byte1('/')
		w.dec(u.UpcallTs)
		w.str(") ret ")
		w.sdec(int64(u.Ret))
	case o.RecvUpcall != nil:
		u := o.RecvUpcall
		w.str("upcall_recv q ")
		w.dec(uint64(u.QueueID))
		w.str(" pkt_size ")
		w.dec(uint64(u.PktSize))
	case o.FlowOperation != nil:
		op := o.FlowOperation
		w.str("flow_")
		switch op.OpType {
		case "exec", "put":
			w.str(op.OpType)
		default:
			w.byte1('?')
		}
		w.str(" q ")
		w.dec(uint64(op.QueueID))
		w.str(" ts ")
		w.dec(op.BatchTs)
		w.str(" (")
		w.dec(uint64(op.BatchIdx))
		w.byte1(')')
	case o.Action != nil:
		r.ovsAction(o.Action)
	case o.FlowLookup != nil:
		r.ovsLookup(o.FlowLookup, multiline)
	}
}

// upcallCmd names OVS_PACKET_CMD_*.
func upcallCmd(cmd uint8) string {
	switch cmd {
	case 0:
		return " (unspec)"
	case 1:
		return " (miss)"
	case 2:
		return " (action)"
	case 3:
		return " (exec)"
	}
	return ""
}

// ovsActionNames maps the JSON action name to what is printed after
// "exec" for actions without arguments.
var ovsActionNames = map[string]string{
	"userspace":     " userspace",
	"set":           " tunnel_set",
	"push_vlan":     " push_vlan",
	"pop_vlan":      " pop_vlan",
	"sample":        " sample",
	"hash":          " hash",
	"push_mpls":     " push_mpls",
	"pop_mpls":      " pop_mpls",
	"set_masked":    " set_masked",
	"trunc":         " trunc",
	"push_eth":      " push_eth",
	"pop_eth":       " pop_eth",
	"ct_clear":      " ct_clear",
	"push_nsh":      " push_nsh",
	"pop_nsh":       " pop_nsh",
	"meter":         " meter",
	"clone":         " clone",
	"check_pkt_len": " check_pkt_len",
	"add_mpls":      " add_mpls",
	"dec_ttl":       " dec_ttl",
}

func (r *renderer) ovsAction(a *events.OVSActionEvent) {
	w := &r.w
	if a.RecircID != 0 {
		w.str("[recirc_id ")
		w.hex0x(uint64(a.RecircID))
		w.str("] ")
	}
	w.str("exec")
	act := a.Action
	switch {
	case act == nil:
		w.str(" unspec")
	case act.Name == "output":
		w.str(" oport ")
		w.dec(uint64(deref(act.Port)))
	case act.Name == "recirc":
		w.str(" recirc ")
		w.hex0x(uint64(deref(act.ID)))
	case act.Name == "drop":
		w.str(" drop ")
		w.dec(uint64(deref(act.Reason)))
	case act.Name == "ct":
		r.ovsCt(act.Ct)
	default:
		if s, ok := ovsActionNames[act.Name]; ok {
			w.str(s)
		} else {
			w.byte1(' ')
			w.str(act.Name)
		}
	}
	if a.QueueID != nil {
		w.str(" q ")
		w.dec(uint64(*a.QueueID))
	}
}

func (r *renderer) ovsCt(ct *events.OVSActionCt) {
	w := &r.w
	if ct == nil {
		ct = &events.OVSActionCt{}
	}
	w.str(" ct zone ")
	w.dec(uint64(ct.ZoneID))
	if nat := ct.Nat; nat != nil {
		w.str(" nat")
		if nat.Dir != nil {
			w.byte1('(')
			w.str(*nat.Dir)
			if ct.Flags&events.OVSCtNatRangeMapIPs != 0 && nat.MinAddr != nil && nat.MaxAddr != nil {
				w.byte1('=')
				w.str(*nat.MinAddr)
				if *nat.MinAddr != *nat.MaxAddr {
					w.byte1('-')
					w.str(*nat.MaxAddr)
				}
			}
			if ct.Flags&events.OVSCtNatRangeProtoSpecified != 0 && nat.MinPort != nil && nat.MaxPort != nil {
				w.byte1(':')
				w.dec(uint64(*nat.MinPort))
				if *nat.MinPort != *nat.MaxPort {
					w.byte1('-')
					w.dec(uint64(*nat.MaxPort))
				}
			}
			w.byte1(')')
		}
	}
	flags := [...]struct {
		bit  uint32
		name string
	}{
		{events.OVSCtCommit, "commit"},
		{events.OVSCtForce, "force"},
		{events.OVSCtNatRangePersistent, "persistent"},
		{events.OVSCtNatRangeProtoRandom, "hash"},
		{events.OVSCtNatRangeProtoRandomFully, "random"},
	}
	sep := byte(' ')
	for _, fl := range flags {
		if ct.Flags&fl.bit != 0 {
			w.byte1(sep)
			w.str(fl.name)
			sep = ','
		}
	}
}

func (r *renderer) ovsLookup(l *events.OVSLookupEvent, multiline bool) {
	w := &r.w
	if l.Flow == 0 {
		w.str("flow miss mask ")
		w.dec(uint64(l.NMaskHit))
		w.str(" cache ")
		w.dec(uint64(l.NCacheHit))
		return
	}
	sep := byte(' ')
	if multiline {
		sep = '\n'
	}
	w.str("flow hit ufid ")
	w.buf = appendUfid(w.b(), l.Ufid)
	w.str(" mask ")
	w.dec(uint64(l.NMaskHit))
	w.str(" cache ")
	w.dec(uint64(l.NCacheHit))
	w.str(" flow ")
	w.hex(l.Flow)
	w.str(" sf_acts ")
	w.hex(l.SfActs)
	if l.Dpflow != "" {
		w.byte1(sep)
		w.str("odpflow ")
		w.str(l.Dpflow)
	}
	if len(l.Ofpflows) > 0 {
		w.byte1(sep)
		w.str("openflow")
		w.byte1(sep)
		if multiline {
			w.push(4)
		}
		r.join(l.Ofpflows, sep)
		if multiline {
			w.pop()
		}
	}
}

func (r *renderer) ovsDetrace(d *events.OVSFlowInfo, multiline bool) {
	w := &r.w
	w.str("ufid:")
	w.buf = appendUfid(w.b(), d.Ufid)
	w.byte1(' ')
	w.str(d.Dpflow)
	if multiline {
		w.str("\nopenflow:")
		w.push(4)
		r.join(d.Ofpflows, '\n')
		w.pop()
		return
	}
	w.str(" openflow: ")
	r.join(d.Ofpflows, ' ')
}

// join writes the strings separated by sep as a single write, which
// matters for the indentation: an empty list still counts as a write.
func (r *renderer) join(s []string, sep byte) {
	b := r.w.b()
	for i, v := range s {
		if i > 0 {
			b = append(b, sep)
		}
		b = append(b, v...)
	}
	r.w.buf = b
}

// appendUfid formats a flow UFID as OvS does (UUID-like).
func appendUfid(b []byte, u [4]uint32) []byte {
	b = appendHexPadded(b, uint64(u[0]), 8)
	b = append(b, '-')
	b = appendHexPadded(b, uint64(u[1]>>16), 4)
	b = append(b, '-')
	b = appendHexPadded(b, uint64(u[1]&0xffff), 4)
	b = append(b, '-')
	b = appendHexPadded(b, uint64(u[2]>>16), 4)
	b = append(b, '-')
	b = appendHexPadded(b, uint64(u[2]&0xffff), 4)
	return appendHexPadded(b, uint64(u[3]), 8)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
