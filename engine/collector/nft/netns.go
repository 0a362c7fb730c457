package nft

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// netnsRunDir is where `ip netns` keeps named namespaces.
const netnsRunDir = "/run/netns"

// Namespace is an open network namespace the collector watches.
type Namespace struct {
	// Spec is how the namespace was named: "" for the current one, a
	// name under /run/netns, or a path.
	Spec   string
	Inum   uint32
	handle netns.NsHandle
}

// String names the namespace for messages.
func (n *Namespace) String() string {
	if n.Spec == "" {
		return fmt.Sprintf("current netns (%d)", n.Inum)
	}
	return fmt.Sprintf("netns %s (%d)", n.Spec, n.Inum)
}

// FD returns the namespace's file descriptor, valid until Close.
func (n *Namespace) FD() int { return int(n.handle) }

// Close releases the namespace.
func (n *Namespace) Close() error { return n.handle.Close() }

// CurrentNamespace opens the namespace the calling thread runs in.
func CurrentNamespace() (*Namespace, error) {
	h, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("open current netns: %w", err)
	}
	return newNamespace("", h)
}

// OpenNamespace opens a namespace by --nft-netns value: "" for the current
// one, a name from /run/netns (as `ip netns` shows) or a path to a netns
// file (/proc/PID/ns/net, a bind mount).
func OpenNamespace(spec string) (*Namespace, error) {
	if spec == "" {
		return CurrentNamespace()
	}
	path := spec
	if !strings.Contains(spec, "/") {
		path = filepath.Join(netnsRunDir, spec)
	}
	h, err := netns.GetFromPath(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && path != spec {
			return nil, fmt.Errorf("open netns %q: no %s (list them with `ip netns list`, or give a path)", spec, path)
		}
		return nil, fmt.Errorf("open netns %q: %w", spec, err)
	}
	return newNamespace(spec, h)
}

func newNamespace(spec string, h netns.NsHandle) (*Namespace, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(h), &st); err != nil {
		h.Close()
		return nil, fmt.Errorf("stat netns %q: %w", spec, err)
	}
	return &Namespace{Spec: spec, Inum: uint32(st.Ino), handle: h}, nil
}

// OpenNamespaces opens the namespaces --nft-netns selects: the current one
// when specs is empty; "all" adds every namespace in /run/netns to the
// current one. A namespace named twice (e.g. the current one also in
// /run/netns) is opened once.
func OpenNamespaces(specs []string) ([]*Namespace, error) {
	if len(specs) == 0 {
		specs = []string{""}
	}
	var expanded []string
	for _, s := range specs {
		if s != "all" {
			expanded = append(expanded, s)
			continue
		}
		names, err := namedNamespaces()
		if err != nil {
			return nil, err
		}
		expanded = append(expanded, "")
		expanded = append(expanded, names...)
	}
	var out []*Namespace
	seen := map[uint32]bool{}
	for _, s := range expanded {
		n, err := OpenNamespace(s)
		if err != nil {
			closeAll(out)
			return nil, err
		}
		if seen[n.Inum] {
			n.Close()
			continue
		}
		seen[n.Inum] = true
		out = append(out, n)
	}
	return out, nil
}

func namedNamespaces() ([]string, error) {
	ents, err := os.ReadDir(netnsRunDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list named namespaces: %w", err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}

func closeAll(ns []*Namespace) {
	for _, n := range ns {
		n.Close()
	}
}
