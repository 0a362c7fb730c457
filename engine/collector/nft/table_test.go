package nft

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// helperEnv makes the test binary a stand-in collector that installs the
// table in the named namespace, says so and waits to be killed.
const helperEnv = "RETIS_NFT_TEST_INSTALL_IN"

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		ns, err := OpenNamespace(name)
		if err == nil {
			_, err = InstallTable(ns, nil)
		}
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("installed")
		time.Sleep(time.Minute)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// retisChains returns the chains of Retis_Table in ns by name, with their
// rules; nil when the table is absent.
func retisChains(t *testing.T, ns *Namespace) map[string][]*nftables.Rule {
	t.Helper()
	conn, err := nftables.New(nftables.WithNetNSFd(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	tables, err := conn.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tb := range tables {
		found = found || tb.Name == TableName
	}
	if !found {
		return nil
	}
	chains, err := conn.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*nftables.Rule{}
	for _, c := range chains {
		if c.Table.Name != TableName {
			continue
		}
		if c.Name != MarkerChain && (c.Hooknum == nil || c.Priority == nil || *c.Priority != math.MinInt32 || c.Policy == nil ||
			*c.Policy != nftables.ChainPolicyAccept) {
			t.Errorf("chain %s: want a base chain at priority %d, policy accept; got %+v", c.Name, math.MinInt32, c)
		}
		rules, err := conn.GetRules(c.Table, c)
		if err != nil {
			t.Fatal(err)
		}
		out[c.Name] = rules
	}
	return out
}

// checkTraceTable asserts Retis_Table marks packets on every hook.
func checkTraceTable(t *testing.T, ns *Namespace) {
	t.Helper()
	chains := retisChains(t, ns)
	if len(chains) != len(traceHooks) {
		t.Fatalf("Retis_Table has chains %v, want one per hook", chains)
	}
	for _, h := range traceHooks {
		rules := chains[h.chain]
		if len(rules) != 1 || len(rules[0].Exprs) != 2 {
			t.Fatalf("chain %s: rules %v, want one `meta nftrace set 1`", h.chain, rules)
		}
		imm, ok1 := rules[0].Exprs[0].(*expr.Immediate)
		meta, ok2 := rules[0].Exprs[1].(*expr.Meta)
		if !ok1 || !ok2 || len(imm.Data) != 1 || imm.Data[0] != 1 || meta.Key != expr.MetaKeyNFTRACE ||
			!meta.SourceRegister || meta.Register != imm.Register {
			t.Fatalf("chain %s: rule %#v %#v is not `meta nftrace set 1`", h.chain, rules[0].Exprs[0], rules[0].Exprs[1])
		}
	}
}

func TestInstallTable(t *testing.T) {
	ns := testNamespace(t)
	tbl, err := InstallTable(ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tbl.Remove() })
	if tbl.Replaced {
		t.Error("fresh namespace: table reported as replacing a stale one")
	}
	checkTraceTable(t, ns)
	if err := tbl.Remove(); err != nil {
		t.Fatal(err)
	}
	if c := retisChains(t, ns); c != nil {
		t.Fatalf("table still there after Remove: %v", c)
	}
	err = tbl.Remove()
	if err == nil || !strings.Contains(err.Error(), "ip netns exec "+ns.Spec+" nft delete table inet Retis_Table") {
		t.Errorf("removing a table gone: got %v, want an error telling how to remove it by hand", err)
	}
}

func TestInstallTableReplacesStale(t *testing.T) {
	ns := testNamespace(t)
	// A table left by an earlier run, whatever its content.
	conn, err := nftables.New(nftables.WithNetNSFd(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	stale := conn.AddTable(&nftables.Table{Name: TableName, Family: nftables.TableFamilyINet})
	conn.AddChain(&nftables.Chain{Name: "Retis_Chain", Table: stale})
	if err := conn.Flush(); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	tbl, err := InstallTable(ns, testLogger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tbl.Remove() })
	if !tbl.Replaced || !strings.Contains(logs.String(), "stale") || !strings.Contains(logs.String(), ns.Spec) {
		t.Errorf("stale table replaced silently (Replaced %v, log %q)", tbl.Replaced, logs.String())
	}
	checkTraceTable(t, ns) // Retis_Chain is gone with the stale table
}

func TestInstallTableAfterKill(t *testing.T) {
	ns := testNamespace(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+ns.Spec)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "installed\n" {
		t.Fatalf("helper: %q", line)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var exitErr *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper did not die by SIGKILL: %v", err)
	}
	checkTraceTable(t, ns) // left behind by the killed run

	tbl, err := InstallTable(ns, testLogger(new(strings.Builder)))
	if err != nil {
		t.Fatal(err)
	}
	if !tbl.Replaced {
		t.Error("the killed run's table was not detected")
	}
	if err := tbl.Remove(); err != nil {
		t.Fatal(err)
	}
	if c := retisChains(t, ns); c != nil {
		t.Fatalf("table still there: %v", c)
	}
}

// The kprobe source's table: one chain on no hook with the nftrace rule,
// removed like the other.
func TestInstallMarkerTable(t *testing.T) {
	ns := testNamespace(t)
	tbl, err := InstallMarkerTable(ns, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tbl.Remove() })
	chains := retisChains(t, ns)
	rules, ok := chains[MarkerChain]
	if len(chains) != 1 || !ok || len(rules) != 1 || len(rules[0].Exprs) != 2 {
		t.Fatalf("Retis_Table has chains %v, want only %s with `meta nftrace set 1`", chains, MarkerChain)
	}
	if m, ok := rules[0].Exprs[1].(*expr.Meta); !ok || m.Key != expr.MetaKeyNFTRACE || !m.SourceRegister {
		t.Fatalf("rule %#v is not `meta nftrace set 1`", rules[0].Exprs[1])
	}
	conn, err := nftables.New(nftables.WithNetNSFd(ns.FD()))
	if err != nil {
		t.Fatal(err)
	}
	all, err := conn.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.Table.Name == TableName && c.Hooknum != nil {
			t.Errorf("chain %s is on a hook: packets would run through it", c.Name)
		}
	}
	if err := tbl.Remove(); err != nil {
		t.Fatal(err)
	}
	if c := retisChains(t, ns); c != nil {
		t.Fatalf("table still there after Remove: %v", c)
	}
}
