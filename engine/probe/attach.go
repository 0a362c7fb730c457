package probe

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// Program is the role of a BPF program in attaching.
type Program int

// Program roles. Tracepoint and fentry/fexit programs are loaded per
// target; kprobe ones are shared by all targets, which tell themselves
// apart by their attach cookie.
const (
	ProgTpBTF Program = iota
	ProgRawTP
	ProgFentry
	ProgFexit
	ProgKprobe
	ProgKprobeMulti
	ProgKretprobeEntry
	ProgKretprobe
)

// Programs provides the programs attach backends run.
type Programs interface {
	// Program returns the program for a role: for target t, or with t nil
	// the program shared by every target of a cookie-based role.
	Program(role Program, t *Target) (*ebpf.Program, error)
}

// Attachment is a target attached through a backend.
type Attachment struct {
	Target  *Target
	Backend Backend
	links   []link.Link
}

// Close detaches the target.
func (a *Attachment) Close() error {
	var errs []error
	for _, l := range a.links {
		errs = append(errs, l.Close())
	}
	a.links = nil
	return errors.Join(errs...)
}

// Result is the outcome of attaching one target: an Attachment, or why no
// backend could attach it.
type Result struct {
	Target     *Target
	Attachment *Attachment
	Err        error
}

// Attacher attaches targets through the first backend that works.
type Attacher struct {
	Programs Programs
	// Force restricts a kind of probe to one backend (e.g. fentry for
	// kprobes); other kinds keep the default order.
	Force []Backend
	// Log receives one debug line per backend skipped and why.
	Log *slog.Logger
	// IDs gives each target's attach cookie.
	IDs map[*Target]uint32
	// Supported overrides the backends' feature probes (tests).
	Supported func(Backend) error
}

func (a *Attacher) supported(b Backend) error {
	if a.Supported != nil {
		return a.Supported(b)
	}
	return b.Supported()
}

func (a *Attacher) backends(k Kind) []Backend {
	for _, b := range a.Force {
		if b.Kind() == k {
			return []Backend{b}
		}
	}
	return Backends(k)
}

func (a *Attacher) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Attach attaches every target and returns one result per target, in
// order. Kprobes are attached as one kprobe-multi batch when possible.
func (a *Attacher) Attach(targets []*Target) []Result {
	results := make([]Result, len(targets))
	reasons := make([][]string, len(targets))
	pending := map[int]bool{}
	for i, t := range targets {
		results[i].Target = t
		pending[i] = true
	}

	for _, kind := range []Kind{Tracepoint, Kprobe, Kretprobe} {
		for _, b := range a.backends(kind) {
			var idx []int
			for i, t := range targets {
				if pending[i] && t.Kind == kind {
					idx = append(idx, i)
				}
			}
			if len(idx) == 0 {
				break
			}
			if err := a.supported(b); err != nil {
				reason := fmt.Sprintf("%s: %s", b, strings.TrimPrefix(err.Error(), ebpf.ErrNotSupported.Error()+": "))
				a.log().Debug("skipping probe backend", "backend", b.String(), "kind", kind.String(), "reason", err)
				for _, i := range idx {
					reasons[i] = append(reasons[i], reason)
				}
				continue
			}
			if b == KprobeMulti && len(idx) > 1 {
				if att, err := a.attachMulti(targets, idx); err == nil {
					for k, i := range idx {
						results[i].Attachment = att[k]
						delete(pending, i)
					}
					continue
				} else {
					a.log().Debug("kprobe-multi batch failed, attaching one by one", "error", err)
				}
			}
			for _, i := range idx {
				att, err := a.attachOne(b, targets[i])
				if err != nil {
					a.log().Debug("probe backend failed", "probe", targets[i].String(), "backend", b.String(), "error", err)
					reasons[i] = append(reasons[i], fmt.Sprintf("%s: %v", b, err))
					continue
				}
				results[i].Attachment = att
				delete(pending, i)
			}
		}
	}

	for i := range pending {
		t := targets[i]
		if len(reasons[i]) == 0 {
			reasons[i] = []string{"no backend"}
		}
		results[i].Err = fmt.Errorf("attach %s: %s", t, strings.Join(reasons[i], "; "))
	}
	return results
}

// argsInRegisters reports whether the arguments the programs read are
// passed in registers, where kprobes can read them.
func argsInRegisters(t *Target) error {
	for _, i := range t.Args.positions() {
		if i >= 6 {
			return fmt.Errorf("argument %d is passed on the stack, out of a kprobe's reach", i)
		}
	}
	return nil
}

func (a *Attacher) attachMulti(targets []*Target, idx []int) ([]*Attachment, error) {
	prog, err := a.Programs.Program(ProgKprobeMulti, nil)
	if err != nil {
		return nil, err
	}
	opts := link.KprobeMultiOptions{}
	for _, i := range idx {
		if err := argsInRegisters(targets[i]); err != nil {
			return nil, fmt.Errorf("%s: %w", targets[i], err)
		}
		opts.Symbols = append(opts.Symbols, targets[i].Symbol)
		opts.Cookies = append(opts.Cookies, uint64(a.IDs[targets[i]]))
	}
	l, err := link.KprobeMulti(prog, opts)
	if err != nil {
		return nil, err
	}
	// One link holds every target: the first attachment owns it.
	out := make([]*Attachment, len(idx))
	for k, i := range idx {
		out[k] = &Attachment{Target: targets[i], Backend: KprobeMulti}
	}
	out[0].links = []link.Link{l}
	return out, nil
}

func (a *Attacher) attachOne(b Backend, t *Target) (*Attachment, error) {
	att := &Attachment{Target: t, Backend: b}
	add := func(l link.Link, err error) error {
		if err != nil {
			return err
		}
		att.links = append(att.links, l)
		return nil
	}
	cookie := uint64(a.IDs[t])
	var err error
	switch b {
	case TpBTF, Fentry, Fexit:
		role := map[Backend]Program{TpBTF: ProgTpBTF, Fentry: ProgFentry, Fexit: ProgFexit}[b]
		var prog *ebpf.Program
		if prog, err = a.Programs.Program(role, t); err == nil {
			err = add(link.AttachTracing(link.TracingOptions{Program: prog}))
		}
	case RawTP:
		var prog *ebpf.Program
		if prog, err = a.Programs.Program(ProgRawTP, t); err == nil {
			err = add(link.AttachRawTracepoint(link.RawTracepointOptions{Name: t.Func, Program: prog}))
		}
	case KprobeMulti:
		if err = argsInRegisters(t); err != nil {
			break
		}
		var prog *ebpf.Program
		if prog, err = a.Programs.Program(ProgKprobeMulti, nil); err == nil {
			err = add(link.KprobeMulti(prog, link.KprobeMultiOptions{Symbols: []string{t.Symbol}, Cookies: []uint64{cookie}}))
		}
	case KprobeSingle:
		if err = argsInRegisters(t); err != nil {
			break
		}
		err = a.kprobe(att, ProgKprobe, t, cookie, link.Kprobe)
	case KretprobeSingle:
		if err = argsInRegisters(t); err != nil {
			break
		}
		if err = a.kprobe(att, ProgKretprobeEntry, t, cookie, link.Kprobe); err == nil {
			err = a.kprobe(att, ProgKretprobe, t, cookie, link.Kretprobe)
		}
	default:
		err = fmt.Errorf("unknown backend %d", int(b))
	}
	if err != nil {
		att.Close()
		return nil, err
	}
	return att, nil
}

type kprobeFunc func(string, *ebpf.Program, *link.KprobeOptions) (link.Link, error)

// kprobe attaches the shared program with the target's cookie, or a
// program of the target's own on kernels without kprobe cookies (< 5.15).
func (a *Attacher) kprobe(att *Attachment, role Program, t *Target, cookie uint64, attach kprobeFunc) error {
	prog, err := a.Programs.Program(role, nil)
	if err != nil {
		return err
	}
	l, err := attach(t.Symbol, prog, &link.KprobeOptions{Cookie: cookie})
	if errors.Is(err, ebpf.ErrNotSupported) && cookie != 0 {
		if prog, err = a.Programs.Program(role, t); err != nil {
			return err
		}
		l, err = attach(t.Symbol, prog, nil)
	}
	if err != nil {
		return err
	}
	att.links = append(att.links, l)
	return nil
}
