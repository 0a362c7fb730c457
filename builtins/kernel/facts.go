package kernel

import (
	"fmt"
	"strconv"
	"strings"
)

// Facts answers questions about a kernel. Methods return an error only
// when the answer cannot be known; "no" is (false, nil).
type Facts interface {
	// Release is the kernel release, as uname -r.
	Release() (string, error)
	// HasSymbol reports whether kallsyms lists name, or name with a
	// compiler suffix (name.constprop.0, name.isra.0).
	HasSymbol(name string) (bool, error)
	// HasTracepoint reports whether "subsystem:event" exists.
	HasTracepoint(name string) (bool, error)
	// HasBTFType reports whether kernel BTF has a type of that name,
	// optionally qualified by kind: "struct x", "union x", "enum x",
	// "typedef x".
	HasBTFType(name string) (bool, error)
	// CanKprobe returns nil when kprobes can be attached, an error
	// wrapping ebpf.ErrNotSupported when the kernel lacks them, another
	// error when it cannot tell.
	CanKprobe() error
}

// Version is a kernel version.
type Version struct{ Major, Minor, Patch int }

// ParseRelease reads the leading "X.Y[.Z]" of a release string such as
// "6.18.44-fc-v657" or "6.1.0-28-amd64".
func ParseRelease(release string) (Version, error) {
	head := release
	if i := strings.IndexFunc(release, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }); i >= 0 {
		head = release[:i]
	}
	parts := strings.Split(strings.TrimSuffix(head, "."), ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("kernel release %q: want MAJOR.MINOR[.PATCH]", release)
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil {
			return Version{}, fmt.Errorf("kernel release %q: want MAJOR.MINOR[.PATCH]", release)
		}
		n[i] = x
	}
	return Version{n[0], n[1], n[2]}, nil
}

// splitKind splits "struct sk_buff" into ("struct", "sk_buff"); a bare
// name has no kind.
func splitKind(name string) (kind, base string, err error) {
	k, b, ok := strings.Cut(strings.TrimSpace(name), " ")
	if !ok {
		return "", k, nil
	}
	switch k {
	case "struct", "union", "enum", "typedef":
		return k, strings.TrimSpace(b), nil
	}
	return "", "", fmt.Errorf("BTF type %q: kind must be struct, union, enum or typedef", name)
}

// tracepointName checks and normalises "subsystem:event".
func tracepointName(name string) (string, error) {
	name = strings.TrimPrefix(name, "tp:")
	sys, ev, ok := strings.Cut(name, ":")
	if !ok || sys == "" || ev == "" || strings.ContainsAny(ev, ":/") || strings.Contains(sys, "/") {
		return "", fmt.Errorf("tracepoint %q: want SUBSYSTEM:EVENT, e.g. skb:kfree_skb", name)
	}
	return name, nil
}
