package vmtest

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"
)

// counter is what the test programs add to for each hit of the process's
// own calls: the number of hits and the sum of one argument or return value.
type counter struct {
	Hits uint64
	Sum  uint64
}

// counterProg describes a program counting hits into an array of counters.
type counterProg struct {
	typ      ebpf.ProgramType
	attach   ebpf.AttachType
	attachTo string
	// value leaves the value to sum in R7, reading the context from R6.
	value asm.Instructions
	// byCookie indexes the counters with the attach cookie (kprobe-multi);
	// otherwise there is one counter.
	byCookie bool
}

// load creates the counters (n of them) and the program, for hits by this
// process only: the VM runs nothing else, but the host may.
func (c counterProg) load(t *testing.T, n int) (*ebpf.Program, *ebpf.Map) {
	t.Helper()
	counters, err := ebpf.NewMap(&ebpf.MapSpec{
		Type:       ebpf.Array,
		KeySize:    4,
		ValueSize:  16,
		MaxEntries: uint32(n),
	})
	if err != nil {
		t.Fatalf("create counters: %v", err)
	}
	t.Cleanup(func() { counters.Close() })

	key := asm.Instructions{asm.Mov.Imm(asm.R8, 0)}
	if c.byCookie {
		key = asm.Instructions{
			asm.Mov.Reg(asm.R1, asm.R6),
			asm.FnGetAttachCookie.Call(),
			asm.Mov.Reg(asm.R8, asm.R0),
		}
	}
	insns := asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.FnGetCurrentPidTgid.Call(),
		asm.RSh.Imm(asm.R0, 32),
		asm.JNE.Imm(asm.R0, int32(os.Getpid()), "exit"),
	}
	insns = append(insns, c.value...)
	insns = append(insns, key...)
	lookup := asm.LoadMapPtr(asm.R1, 0)
	if err := lookup.AssociateMap(counters); err != nil {
		t.Fatal(err)
	}
	insns = append(insns,
		asm.StoreMem(asm.RFP, -4, asm.R8, asm.Word),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -4),
		lookup,
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "exit"),
		asm.Mov.Imm(asm.R1, 1),
		asm.StoreXAdd(asm.R0, asm.R1, asm.DWord),
		asm.Add.Imm(asm.R0, 8),
		asm.StoreXAdd(asm.R0, asm.R7, asm.DWord),
		asm.Mov.Imm(asm.R0, 0).WithSymbol("exit"),
		asm.Return(),
	)
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         c.typ,
		AttachType:   c.attach,
		AttachTo:     c.attachTo,
		Instructions: insns,
		License:      "GPL",
	})
	if err != nil {
		t.Fatalf("load %v program: %v", c.typ, err)
	}
	t.Cleanup(func() { prog.Close() })
	return prog, counters
}

// read returns counter i.
func read(t *testing.T, counters *ebpf.Map, i uint32) counter {
	t.Helper()
	var c counter
	if err := counters.Lookup(i, &c); err != nil {
		t.Fatalf("read counter %d: %v", i, err)
	}
	return c
}

// loadCtx64 leaves in R7 the 64-bit word at off in the context.
func loadCtx64(off int) asm.Instructions {
	return asm.Instructions{asm.LoadMem(asm.R7, asm.R6, int16(off), asm.DWord)}
}

// loadCtx32 leaves in R7 the low 32 bits of the word at off in the
// context: an int return value, whose upper register half is not defined.
func loadCtx32(off int) asm.Instructions {
	return asm.Instructions{
		asm.LoadMem(asm.R7, asm.R6, int16(off), asm.DWord),
		asm.Mov.Reg32(asm.R7, asm.R7),
	}
}

// sendUDP sends n datagrams of size bytes between two loopback UDP sockets
// and reads them back, so that each went through udp_sendmsg to delivery.
func sendUDP(t *testing.T, n, size int) {
	t.Helper()
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	payload := make([]byte, size)
	buf := make([]byte, size+1)
	for i := range n {
		if _, err := tx.Write(payload); err != nil {
			t.Fatalf("send datagram %d: %v", i, err)
		}
		if err := rx.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		got, err := rx.Read(buf)
		if err != nil {
			t.Fatalf("receive datagram %d: %v", i, err)
		}
		if got != size {
			t.Fatalf("datagram %d: received %d bytes, sent %d", i, got, size)
		}
	}
}

// kernelSpec returns the running kernel's BTF.
func kernelSpec(t *testing.T) *btf.Spec {
	t.Helper()
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		t.Fatalf("load kernel BTF: %v", err)
	}
	return spec
}

// params returns the parameter names of kernel function fn.
func params(t *testing.T, fn string) []string {
	t.Helper()
	var f *btf.Func
	if err := kernelSpec(t).TypeByName(fn, &f); err != nil {
		t.Fatalf("find %s in kernel BTF: %v", fn, err)
	}
	var names []string
	for _, p := range f.Type.(*btf.FuncProto).Params {
		names = append(names, p.Name)
	}
	return names
}

// paramIndex returns the position of fn's parameter named param.
func paramIndex(t *testing.T, fn, param string) int {
	t.Helper()
	names := params(t, fn)
	for i, n := range names {
		if n == param {
			return i
		}
	}
	t.Fatalf("%s has no parameter %q (it has %q)", fn, param, names)
	return 0
}

// regsOffset returns the offset of member reg in the kernel's pt_regs,
// the context of kprobe programs.
func regsOffset(t *testing.T, reg string) int {
	t.Helper()
	var s *btf.Struct
	if err := kernelSpec(t).TypeByName("pt_regs", &s); err != nil {
		t.Fatalf("find pt_regs in kernel BTF: %v", err)
	}
	for _, m := range s.Members {
		if m.Name == reg {
			return int(m.Offset.Bytes())
		}
	}
	t.Fatalf("pt_regs has no member %q", reg)
	return 0
}
