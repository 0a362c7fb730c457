package filter

//go:generate clang-19 -O2 -g -target bpf -c testdata/probe.bpf.c -o testdata/probe.bpf.o

import (
	"errors"
	"net"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/retis-go/retis/engine/probe"
	"github.com/retis-go/retis/internal/testutils"
)

func requireTracing(tb testing.TB) {
	tb.Helper()
	testutils.RequireBPF(tb)
	// features.HaveProgramType(ebpf.Tracing) loads an fentry program,
	// which some kernels refuse (EPERM) while tp_btf works.
	err := probe.HaveTracingProgs()
	if errors.Is(err, ebpf.ErrNotSupported) {
		tb.Skipf("kernel lacks tracing (tp_btf) programs: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// loadProbe loads testdata/probe.bpf.o, a tp_btf program calling the
// placeholders as probes do, patched with f.
func loadProbe(tb testing.TB, f *Filters) *ebpf.Collection {
	tb.Helper()
	spec, err := ebpf.LoadCollectionSpec("testdata/probe.bpf.o")
	if err != nil {
		tb.Fatal(err)
	}
	if err := f.Patch(spec.Programs["probe"]); err != nil {
		tb.Fatal(err)
	}
	coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{Programs: ebpf.ProgramOptions{LogSizeStart: 1 << 20}})
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			tb.Fatalf("verifier: %+v", ve)
		}
		tb.Fatal(err)
	}
	tb.Cleanup(func() { coll.Close() })
	return coll
}

func kernelBTF(tb testing.TB) *btf.Spec {
	tb.Helper()
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		tb.Fatal(err)
	}
	return spec
}

// TestProbeVerifier loads every kind of generated code where probes run
// it: a tp_btf program whose sk_buff is a BTF pointer and whose packet
// address comes from skb->head, with BTF function and line info.
func TestProbeVerifier(t *testing.T) {
	requireTracing(t)
	types := kernelBTF(t)
	metas := []string{
		`sk_buff.dev.name == "eth0"`,
		`sk_buff.dev.name != "0123456789abcdef"`,
		`sk_buff.dev.nd_net.net.ns.inum == 4026531840`,
		`sk_buff.pkt_type == 3 or sk_buff.cloned`,
		`sk_buff.headers.skb_iif < 0 and sk_buff.mark:0xff == 2`,
		`sk_buff._nfct:~0x7:nf_conn.mark == 1`,
		`sk_buff.dev.rtnl_link_ops.kind == "veth"`,
		`not (sk_buff.sk or sk_buff.len <= 100) && sk_buff.protocol == 0x0008`,
		`sk_buff.tstamp > -1`,
	}
	packets := []string{"tcp port 443 and host 10.0.0.1", "geneve and tcp", "vlan and vlan and udp", "ether[100:4] != 0",
		"tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420", "ip[2:2] / (ip[9] & 1) > 3", "ip6 and icmp6", "arp"}
	for i, m := range metas {
		f, err := Compile(packets[i%len(packets)], m, types)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(m, func(t *testing.T) { loadProbe(t, f) })
	}
}

// inNetns runs fn on a thread in a new network namespace with lo up, and
// returns that namespace's inode number. The namespace goes away with the
// thread, which is never given back to the Go scheduler.
func inNetns(t *testing.T, fn func(inum uint64)) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		errc <- func() error {
			if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
				return err
			}
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			ifr, err := unix.NewIfreq("lo")
			if err != nil {
				return err
			}
			if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
				return err
			}
			ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
			if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
				return err
			}
			var st unix.Stat_t
			if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
				return err
			}
			fn(st.Ino)
			return nil
		}()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// sendUDP sends n datagrams on lo to port, with SO_MARK mark when not 0,
// to a socket listening there (so no ICMP error comes back).
func sendUDP(t *testing.T, port, n, mark int) {
	t.Helper()
	l, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Error(err)
		return
	}
	defer l.Close()
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Error(err)
		return
	}
	defer c.Close()
	if mark != 0 {
		raw, _ := c.SyscallConn()
		raw.Control(func(fd uintptr) {
			err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, mark)
		})
		if err != nil {
			t.Error(err)
			return
		}
	}
	buf := make([]byte, 64)
	for range n {
		if _, err := c.Write(buf); err != nil {
			t.Error(err)
			return
		}
		l.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, _, err := l.ReadFrom(buf); err != nil {
			t.Error(err)
			return
		}
	}
}

// TestProbeLoopback attaches the patched probe and sends traffic on lo in
// a namespace of the test's: only the packets both filters describe pass.
// Namespaces other than the test's see the probe too; the meta filter on
// the namespace inode keeps their packets out of the counts checked.
func TestProbeLoopback(t *testing.T) {
	requireTracing(t)
	types := kernelBTF(t)
	inNetns(t, func(inum uint64) {
		ns := "sk_buff.dev.nd_net.net.ns.inum == " + strconv.FormatUint(inum, 10)
		for _, tc := range []struct {
			packet, meta string
			both         uint64 // passing both filters
		}{
			{"udp dst port 9999", ns, 5},
			{"udp port 9998 or udp port 9999", ns + ` and sk_buff.dev.name == "lo"`, 8},
			{"udp", ns + " and sk_buff.mark == 7", 2},
			{"udp and greater 90", ns + " and not sk_buff.mark == 7 and sk_buff.pkt_type == 0", 6},
			{"tcp", ns, 0},
			{"udp dst port 9999", ns + ` and sk_buff.dev.name == "eth0"`, 0},
		} {
			f, err := Compile(tc.packet, tc.meta, types)
			if err != nil {
				t.Error(err)
				return
			}
			coll := loadProbe(t, f)
			l, err := link.AttachTracing(link.TracingOptions{Program: coll.Programs["probe"]})
			if err != nil {
				t.Error(err)
				return
			}
			sendUDP(t, 9999, 5, 0)
			sendUDP(t, 9998, 1, 0)
			sendUDP(t, 9998, 2, 7)
			l.Close()
			var both, meta uint64
			if err := coll.Maps["counts"].Lookup(uint32(3), &both); err != nil {
				t.Error(err)
			}
			if err := coll.Maps["counts"].Lookup(uint32(2), &meta); err != nil {
				t.Error(err)
			}
			if both != tc.both {
				t.Errorf("-f %q -m %q: %d packets passed both, want %d (%d passed meta)", tc.packet, tc.meta, both, tc.both, meta)
			}
		}
	})
}
