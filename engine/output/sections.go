package output

import (
	"strings"

	"github.com/retis-go/retis/engine/events"
)

func (r *renderer) common(c *events.Common, tf TimeFormat, offset *events.TimeSpec) {
	w := &r.w
	if tf == UTCTime && offset != nil {
		w.buf = events.AppendUTC(w.b(), c.Timestamp, *offset)
	} else {
		w.dec(c.Timestamp)
	}
	if c.SmpID != nil {
		w.str(" (")
		w.dec(uint64(*c.SmpID))
		w.byte1(')')
	}
	if t := c.Task; t != nil {
		w.str(" [")
		w.str(t.Comm)
		w.str("] ")
		if t.Tgid != t.Pid {
			w.sdec(int64(t.Pid))
			w.byte1('/')
		}
		w.sdec(int64(t.Tgid))
	}
}

func (r *renderer) kernel(k *events.Kernel) {
	w := &r.w
	switch k.ProbeType {
	case events.ProbeRawTracepoint:
		w.str("[tp] ")
	case events.ProbeKprobe:
		w.str("[k] ")
	case events.ProbeKretprobe:
		w.str("[kr] ")
	default:
		w.str("[invalid] ")
	}
	w.str(k.Symbol)
}

func (r *renderer) user(u *events.User) {
	w := &r.w
	w.str("[u] ")
	w.str(u.Symbol)
	if i := strings.LastIndexByte(u.Path, '/'); i >= 0 {
		w.str(" (")
		w.str(u.Path[i+1:])
		w.byte1(')')
	}
}

// skbTracking prints the tracking id, the 128-bit value timestamp<<64 |
// orig_head in hexadecimal without leading zeros, and the skb address.
func (r *renderer) skbTracking(t *events.SkbTracking) {
	w := &r.w
	w.byte1('#')
	if t.Timestamp != 0 {
		w.hex(t.Timestamp)
		w.buf = appendHexPadded(w.b(), t.OrigHead, 16)
	} else {
		w.hex(t.OrigHead)
	}
	w.str(" (skb ")
	w.hex(t.Skb)
	w.byte1(')')
}

func (r *renderer) skbDrop(d *events.SkbDrop) {
	w := &r.w
	w.str("drop (reason ")
	if d.Subsys != nil {
		w.str(*d.Subsys)
		w.byte1('/')
	}
	w.str(d.DropReason)
	w.byte1(')')
}

func (r *renderer) stack(s []string, multiline bool) {
	w := &r.w
	if !multiline {
		w.byte1('[')
	}
	for i, sym := range s {
		if i > 0 {
			if multiline {
				w.byte1('\n')
			} else {
				w.str(", ")
			}
		}
		w.str(sym)
	}
	if !multiline {
		w.byte1(']')
	}
}

func (r *renderer) netns(n *events.Netns) {
	w := &r.w
	w.str("ns ")
	if n.Cookie != nil {
		w.hex0x(*n.Cookie)
		w.byte1('/')
	}
	w.dec(uint64(n.Inum))
}

func (r *renderer) dev(d *events.Dev) {
	w := &r.w
	w.str("if ")
	w.dec(uint64(d.Ifindex))
	if d.Name != "" {
		w.str(" (")
		w.str(d.Name)
		w.byte1(')')
	}
	if d.RxIfindex != nil {
		w.str(" rxif ")
		w.dec(uint64(*d.RxIfindex))
	}
}

func (r *renderer) nft(n *events.Nft) {
	w := &r.w
	w.str("table ")
	w.str(n.TableName)
	w.str(" (")
	w.sdec(n.TableHandle)
	w.str(") chain ")
	w.str(n.ChainName)
	w.str(" (")
	w.sdec(n.ChainHandle)
	w.byte1(')')
	if n.RuleHandle != nil {
		w.str(" handle ")
		w.sdec(*n.RuleHandle)
	}
	w.byte1(' ')
	w.str(n.Verdict)
	if n.Policy {
		w.str(" (policy)")
	}
	if n.VerdictChainName != nil {
		w.str(" chain ")
		w.str(*n.VerdictChainName)
	}
}

// startup prints the startup section. Files from Retis 1.6 only carry the
// version (our reader fills the newer members with "unknown"): they print
// as 1.6 does; newer files print the machine and command line as later
// Retis versions do.
func (r *renderer) startup(s *events.Startup, multiline bool) {
	w := &r.w
	if legacyStartup(s) {
		w.str("Retis version ")
		w.str(s.RetisVersion)
		return
	}
	sep := byte(' ')
	if multiline {
		sep = '\n'
	}
	w.str("collected with Retis ")
	w.str(s.RetisVersion)
	w.byte1(sep)
	w.str("on machine ")
	w.str(s.Machine.KernelRelease)
	w.byte1(' ')
	w.str(s.Machine.KernelVersion)
	w.byte1(' ')
	w.str(s.Machine.HardwareName)
	if s.SplitFile != nil {
		w.byte1(sep)
		w.str("file id ")
		w.dec(uint64(s.SplitFile.ID))
	}
	w.byte1(sep)
	w.str("cmdline ")
	w.str(s.Cmdline)
}

// legacyStartup reports a startup section without the members added
// after Retis 1.6 (absent, or filled with "unknown" by the upgrade).
func legacyStartup(s *events.Startup) bool {
	unset := func(v string) bool { return v == "" || v == "unknown" }
	return s.SplitFile == nil && unset(s.Cmdline) && unset(s.Machine.KernelRelease) &&
		unset(s.Machine.KernelVersion) && unset(s.Machine.HardwareName)
}

const hexDigits = "0123456789abcdef"

// appendHexPadded appends v in lower-case hexadecimal on n digits.
func appendHexPadded(b []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, hexDigits[(v>>(uint(i)*4))&0xf])
	}
	return b
}
