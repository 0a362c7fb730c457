package probe

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Symbols is the kernel's text symbol table (/proc/kallsyms): names for
// attaching kprobes and addresses for symbolizing stacks.
type Symbols struct {
	// sorted by address
	addrs []uint64
	names []string
	// base name (without .constprop.0 and friends) to symbol names
	byBase map[string][]string
	// module of the symbols that are in one
	modules map[string]string
	// coreEnd is the highest address of the kernel image's own symbols:
	// past it are modules and BPF programs, which come and go.
	coreEnd uint64
}

// ParseKallsyms reads a kallsyms listing, keeping text symbols.
func ParseKallsyms(r io.Reader) (*Symbols, error) {
	type sym struct {
		addr uint64
		name string
	}
	var syms []sym
	s := &Symbols{byBase: map[string][]string{}, modules: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		// "ffffffff81e66600 T netif_receive_skb [module]"
		f := bytes.Fields(line)
		if len(f) < 3 || len(f[1]) != 1 {
			continue
		}
		switch f[1][0] {
		case 't', 'T', 'w', 'W':
		default:
			continue
		}
		addr, err := strconv.ParseUint(string(f[0]), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("kallsyms: bad address in %q", line)
		}
		name := string(f[2])
		if strings.HasPrefix(name, "__pfx_") {
			continue
		}
		syms = append(syms, sym{addr, name})
		if len(f) == 3 && addr > s.coreEnd {
			s.coreEnd = addr
		}
		if len(f) > 3 {
			s.modules[name] = strings.Trim(string(f[3]), "[]")
		}
		base, _, _ := strings.Cut(name, ".")
		s.byBase[base] = append(s.byBase[base], name)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("kallsyms: %w", err)
	}
	sort.Slice(syms, func(i, j int) bool { return syms[i].addr < syms[j].addr })
	s.addrs = make([]uint64, len(syms))
	s.names = make([]string, len(syms))
	for i, sy := range syms {
		s.addrs[i], s.names[i] = sy.addr, sy.name
	}
	return s, nil
}

// hostSymbols caches the running kernel's symbols.
var hostSymbols struct {
	mu   sync.Mutex
	syms *Symbols
}

// ReadHostSymbols reads the running kernel's symbols now (HostSymbols
// caches its first read).
func ReadHostSymbols() (*Symbols, error) {
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := ParseKallsyms(f)
	if err != nil {
		return nil, err
	}
	if len(s.addrs) > 0 && s.addrs[len(s.addrs)-1] == 0 {
		return nil, fmt.Errorf("kallsyms: addresses are hidden (kernel.kptr_restrict; run as root)")
	}
	return s, nil
}

// HostSymbols returns the running kernel's symbols, read once (or again
// by a lookup that missed a module's function).
func HostSymbols() (*Symbols, error) {
	hostSymbols.mu.Lock()
	defer hostSymbols.mu.Unlock()
	if hostSymbols.syms != nil {
		return hostSymbols.syms, nil
	}
	return refreshHostSymbols()
}

// refreshHostSymbols reads the symbols again; hostSymbols.mu is held.
func refreshHostSymbols() (*Symbols, error) {
	s, err := ReadHostSymbols()
	if err != nil {
		return nil, err
	}
	hostSymbols.syms = s
	return s, nil
}

// Has reports whether a text symbol of that exact name exists.
func (s *Symbols) Has(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	for _, n := range s.byBase[base] {
		if n == name {
			return true
		}
	}
	return false
}

// Symbol returns the symbol a BTF function name is known by: itself, or
// its one compiler-suffixed variant (e.g. __netif_receive_skb_core
// .constprop.0). ok is false when there is none or more than one.
func (s *Symbols) Symbol(name string) (sym string, ok bool) {
	names := s.byBase[name]
	for _, n := range names {
		if n == name {
			return n, true
		}
	}
	if len(names) == 1 {
		return names[0], true
	}
	return "", false
}

// Module returns the module a symbol is in, "" for the kernel image's
// own symbols.
func (s *Symbols) Module(sym string) string { return s.modules[sym] }

// Dynamic reports whether addr is past the kernel image, in a module or a
// BPF program: symbols there may have appeared since the table was read.
// The image's last symbol is followed by the rest of its code, hence the
// margin (modules and BPF programs live far above).
func (s *Symbols) Dynamic(addr uint64) bool { return addr > s.coreEnd+16<<20 }

// Lookup returns the symbol containing addr and the offset into it.
func (s *Symbols) Lookup(addr uint64) (name string, off uint64, ok bool) {
	i := sort.Search(len(s.addrs), func(i int) bool { return s.addrs[i] > addr })
	if i == 0 {
		return "", 0, false
	}
	return s.names[i-1], addr - s.addrs[i-1], true
}

// Format returns addr as Retis writes stack entries: "symbol+0xoff", or
// the bare address when unknown.
func (s *Symbols) Format(addr uint64) string {
	if name, off, ok := s.Lookup(addr); ok {
		return name + "+0x" + strconv.FormatUint(off, 16)
	}
	return "0x" + strconv.FormatUint(addr, 16)
}
