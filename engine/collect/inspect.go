package collect

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/retis-go/retis/engine/collector/nft"
	"github.com/retis-go/retis/engine/probe"
)

// Inspection is what the running kernel lets a collection do.
type Inspection struct {
	// Kernel is the kernel release.
	Kernel string
	// BTF is nil when the kernel describes its types (needed for
	// everything else), or why not.
	BTF error
	// Backends gives each attach backend's availability, in preference
	// order.
	Backends []Status
	// Collectors gives each collector's availability.
	Collectors []Status
	// Nft says which source the nft collector would use.
	Nft nft.Inspection
	// Tracepoints and Functions are the targets that take a struct
	// sk_buff, as probe specs.
	Tracepoints []string
	Functions   []string
}

// Status says whether something is available and, when not, why.
type Status struct {
	Name string
	// Err is nil when available.
	Err error
	// Note adds to an available status (e.g. which source is used).
	Note string
}

// Inspect reports what the running kernel can probe. Backend availability
// comes from loading and attaching empty programs, so it needs the
// privileges of a collection.
func Inspect() (*Inspection, error) {
	if err := checkPrivileges(); err != nil {
		return nil, err
	}
	k := probe.HostKernel()
	in := &Inspection{}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err == nil {
		in.Kernel = unix.ByteSliceToString(uts.Release[:])
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		in.BTF = fmt.Errorf("no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF unset): %w", err)
		return in, nil
	}
	if _, err := k.Types(); err != nil {
		in.BTF = err
		return in, nil
	}

	for _, kind := range []probe.Kind{probe.Tracepoint, probe.Kprobe, probe.Kretprobe} {
		for _, b := range probe.Backends(kind) {
			in.Backends = append(in.Backends, Status{Name: b.String(), Err: b.Supported()})
		}
	}
	cfg := &Config{}
	for _, name := range CollectorNames {
		if name == NftName {
			in.Nft = nft.Inspect()
			st := Status{Name: name}
			notes := []string{}
			if in.Nft.InUse != "" {
				notes = append(notes, "source "+string(in.Nft.InUse))
			}
			for _, src := range in.Nft.Sources {
				if src.Err != nil {
					notes = append(notes, fmt.Sprintf("%s: %s", src.Source, status(src.Err)))
				}
			}
			if in.Nft.InUse == "" {
				st.Err = fmt.Errorf("%w: %s", ebpf.ErrNotSupported, strings.Join(notes, "; "))
			} else {
				st.Note = strings.Join(append(notes, "needs --allow-system-changes"), "; ")
			}
			in.Collectors = append(in.Collectors, st)
			continue
		}
		c, err := newCollector(name, cfg)
		if err == nil {
			err = c.Init(k)
		}
		in.Collectors = append(in.Collectors, Status{Name: name, Err: err})
	}
	for _, pattern := range []string{"tp:*", "kprobe:*"} {
		spec, _ := probe.Parse(pattern)
		targets, err := probe.Resolve(k, spec)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", pattern, err)
		}
		for _, t := range targets {
			if spec.Kind == probe.Tracepoint {
				in.Tracepoints = append(in.Tracepoints, t.String())
			} else {
				in.Functions = append(in.Functions, t.String())
			}
		}
	}
	return in, nil
}

// WriteText writes the inspection for people; with targets, every
// traceable target is listed rather than counted.
func (in *Inspection) WriteText(w io.Writer, targets bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Kernel: %s\n", in.Kernel)
	if in.BTF != nil {
		fmt.Fprintf(&b, "BTF: unavailable: %v\nNothing can be probed without BTF.\n", in.BTF)
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("BTF: yes\n\nProbe backends:\n")
	for _, s := range in.Backends {
		fmt.Fprintf(&b, "  %-13s %s\n", s.Name, status(s.Err))
	}
	b.WriteString("\nCollectors:\n")
	for _, s := range in.Collectors {
		st := status(s.Err)
		if s.Err == nil && s.Note != "" {
			st += " (" + s.Note + ")"
		}
		fmt.Fprintf(&b, "  %-13s %s\n", s.Name, st)
	}
	fmt.Fprintf(&b, "\nTargets with a struct sk_buff argument: %d tracepoints, %d functions\n", len(in.Tracepoints), len(in.Functions))
	if targets {
		for _, t := range in.Tracepoints {
			fmt.Fprintf(&b, "  %s\n", t)
		}
		for _, t := range in.Functions {
			fmt.Fprintf(&b, "  %s\n", t)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func status(err error) string {
	if err == nil {
		return "yes"
	}
	msg := err.Error()
	if errors.Is(err, ebpf.ErrNotSupported) {
		msg = strings.TrimPrefix(msg, ebpf.ErrNotSupported.Error()+": ")
	}
	return "no: " + msg
}
