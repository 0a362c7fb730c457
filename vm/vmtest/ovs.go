package vmtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
)

// envOVS names the directory where vm/ovs.sh unpacked Open vSwitch; vm/run.sh
// sets it when the directory exists.
const envOVS = "RETIS_VM_OVS"

// OVS is an Open vSwitch instance started by a test: ovsdb-server and
// ovs-vswitchd from the unpacked Debian packages, with their database,
// sockets and logs in the test's temporary directory. It drives the
// kernel datapath (the openvswitch module).
type OVS struct {
	root string
	dir  string
	env  []string
}

// HaveOVSDatapath reports whether the kernel has the openvswitch datapath,
// loading its module if needed.
func HaveOVSDatapath() error {
	if _, err := os.Stat("/sys/module/openvswitch"); err == nil {
		return nil
	}
	out, err := exec.Command("modprobe", "openvswitch").CombinedOutput()
	if err != nil {
		return fmt.Errorf("modprobe openvswitch: %v: %s: %w", err, bytes.TrimSpace(out), ebpf.ErrNotSupported)
	}
	return nil
}

// StartOVS starts Open vSwitch for tb and stops it, removing its
// datapaths, when tb ends. It skips tb when the kernel has no openvswitch
// datapath (see SkipIfNotSupported), and fails it when the unpacked
// packages are missing in the VM tier.
func StartOVS(tb testing.TB) *OVS {
	tb.Helper()
	SkipIfNotSupported(tb, "openvswitch", HaveOVSDatapath())
	root := os.Getenv(envOVS)
	if root == "" {
		if _, inVM := Current(); inVM {
			tb.Fatalf("%s is not set: run vm/ovs.sh (make -f vm/vm.mk vm-ovs) on the host", envOVS)
		}
		tb.Skipf("%s is not set: Open vSwitch is unpacked for the VM tier only", envOVS)
	}
	o := &OVS{root: root, dir: tb.TempDir()}
	o.env = append(os.Environ(),
		"OVS_RUNDIR="+o.dir, "OVS_DBDIR="+o.dir, "OVS_LOGDIR="+o.dir, "OVS_SYSCONFDIR="+o.dir,
		"OVS_PKGDATADIR="+filepath.Join(root, "usr/share/openvswitch"),
		"OVS_BINDIR="+filepath.Join(root, "usr/bin"),
		"LD_LIBRARY_PATH="+filepath.Join(root, "usr/lib/x86_64-linux-gnu"),
	)
	db := filepath.Join(o.dir, "conf.db")
	sock := "unix:" + filepath.Join(o.dir, "db.sock")
	o.mustRun(tb, "usr/bin/ovsdb-tool", "create", db, filepath.Join(root, "usr/share/openvswitch/vswitch.ovsschema"))
	o.mustRun(tb, "usr/sbin/ovsdb-server", db, "--remote=p"+sock, "--pidfile", "--detach", "--log-file")
	tb.Cleanup(func() { o.run("usr/bin/ovs-appctl", "-t", "ovsdb-server", "exit") })
	o.mustRun(tb, "usr/bin/ovs-vsctl", "--no-wait", "init")
	o.mustRun(tb, "usr/lib/openvswitch-switch/ovs-vswitchd", sock, "--pidfile", "--detach", "--log-file")
	tb.Cleanup(func() { o.run("usr/bin/ovs-appctl", "-t", "ovs-vswitchd", "exit", "--cleanup") })

	return o
}

// AddBridge adds bridge name, with the kernel datapath behind it, and
// waits until ovs-vswitchd handles upcalls: until its handler threads exist
// (they start with the first datapath, seconds later under TCG) it drops
// the packets the kernel sends up.
func (o *OVS) AddBridge(tb testing.TB, name string) {
	tb.Helper()
	if _, err := o.Vsctl("add-br", name); err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(o.Log(), "n-handler-threads") {
		if time.Now().After(deadline) {
			tb.Fatalf("ovs-vswitchd started no upcall handler in 60 s; its log:\n%s", o.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Vsctl runs ovs-vsctl with args against this instance's database.
func (o *OVS) Vsctl(args ...string) (string, error) {
	return o.run("usr/bin/ovs-vsctl", args...)
}

// Dpctl runs ovs-dpctl with args against the kernel datapaths.
func (o *OVS) Dpctl(args ...string) (string, error) {
	return o.run("usr/bin/ovs-dpctl", args...)
}

// Appctl runs ovs-appctl with args.
func (o *OVS) Appctl(args ...string) (string, error) {
	return o.run("usr/bin/ovs-appctl", args...)
}

// Log returns what ovs-vswitchd has logged so far.
func (o *OVS) Log() string {
	b, _ := os.ReadFile(filepath.Join(o.dir, "ovs-vswitchd.log"))
	return string(b)
}

func (o *OVS) run(tool string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(o.root, tool), args...)
	cmd.Env = o.env
	cmd.Dir = o.dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", filepath.Base(tool), strings.Join(args, " "), err,
			bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out), nil
}

func (o *OVS) mustRun(tb testing.TB, tool string, args ...string) {
	tb.Helper()
	if _, err := o.run(tool, args...); err != nil {
		tb.Fatalf("start Open vSwitch: %v", err)
	}
}
