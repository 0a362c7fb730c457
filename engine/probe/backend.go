package probe

import (
	"fmt"
	"strings"
)

// Backend is a way of attaching a program to a kernel target.
type Backend int

// Backends, in no particular order; see Backends for the preference.
const (
	TpBTF Backend = iota + 1
	RawTP
	KprobeMulti
	KprobeSingle
	Fentry
	KretprobeSingle
	Fexit
)

var backendNames = map[Backend]string{
	TpBTF:           "tp_btf",
	RawTP:           "raw_tp",
	KprobeMulti:     "kprobe-multi",
	KprobeSingle:    "kprobe",
	Fentry:          "fentry",
	KretprobeSingle: "kretprobe",
	Fexit:           "fexit",
}

// String returns the backend's name as the --probe-backend flag takes it.
func (b Backend) String() string {
	if n, ok := backendNames[b]; ok {
		return n
	}
	return fmt.Sprintf("Backend(%d)", int(b))
}

// Kind returns the kind of probe the backend serves.
func (b Backend) Kind() Kind {
	switch b {
	case TpBTF, RawTP:
		return Tracepoint
	case KretprobeSingle, Fexit:
		return Kretprobe
	}
	return Kprobe
}

// Supported runs the backend's feature probe.
func (b Backend) Supported() error {
	switch b {
	case TpBTF:
		return HaveTracingProgs()
	case RawTP:
		return HaveRawTracepoint()
	case KprobeMulti:
		return HaveKprobeMulti()
	case KprobeSingle, KretprobeSingle:
		return HaveKprobe()
	case Fentry, Fexit:
		return HaveFentry()
	}
	return fmt.Errorf("unknown backend %d", int(b))
}

// ParseBackend parses a backend name.
func ParseBackend(s string) (Backend, error) {
	var names []string
	for b := TpBTF; b <= Fexit; b++ {
		if b.String() == s {
			return b, nil
		}
		names = append(names, b.String())
	}
	return 0, fmt.Errorf("unknown probe backend %q (one of %s)", s, strings.Join(names, ", "))
}

// Backends returns the backends for a kind in order of preference.
func Backends(k Kind) []Backend {
	switch k {
	case Tracepoint:
		return []Backend{TpBTF, RawTP}
	case Kprobe:
		return []Backend{KprobeMulti, KprobeSingle, Fentry}
	case Kretprobe:
		return []Backend{KretprobeSingle, Fexit}
	}
	return nil
}
