package nft

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// TableName is the table the collector installs (family inet), the name
// Retis uses.
const TableName = "Retis_Table"

// traceHooks are the hooks whose base chain marks packets for tracing. A
// packet keeps the mark within a namespace, but tunnels decapsulated there
// lose it (skb_scrub_packet) and come back through prerouting only; a chain
// on every hook marks packets wherever they enter the ruleset.
var traceHooks = []struct {
	chain string
	hook  *nftables.ChainHook
}{
	{"prerouting", nftables.ChainHookPrerouting},
	{"input", nftables.ChainHookInput},
	{"forward", nftables.ChainHookForward},
	{"output", nftables.ChainHookOutput},
	{"postrouting", nftables.ChainHookPostrouting},
}

// Table is table inet Retis_Table installed in one namespace.
type Table struct {
	ns   *Namespace
	conn *nftables.Conn
	// Replaced tells that a stale table was found and replaced.
	Replaced bool
}

// InstallTable adds table inet Retis_Table to ns: one base chain per hook,
// at the lowest priority so it runs before every other chain, whose only
// rule is `meta nftrace set 1`. A Retis_Table already there was left by a
// run that could not remove it (killed, or Retis itself): it is replaced in
// the same transaction, and logged.
func InstallTable(ns *Namespace, log *slog.Logger) (*Table, error) {
	return installTable(ns, log, true)
}

// MarkerChain is the only chain of the table InstallMarkerTable adds.
const MarkerChain = "Retis_Chain"

// InstallMarkerTable adds table inet Retis_Table with one chain on no hook
// holding `meta nftrace set 1`, as Retis does: no packet goes through it,
// but the rule turns the kernel's trace path on, which is all the kprobe
// source needs (it sees every packet's verdicts). Packets are not marked,
// so no trace notification is built for them and no chain of ours runs
// per packet.
func InstallMarkerTable(ns *Namespace, log *slog.Logger) (*Table, error) {
	return installTable(ns, log, false)
}

func installTable(ns *Namespace, log *slog.Logger, hooked bool) (*Table, error) {
	if log == nil {
		log = slog.Default()
	}
	conn, err := nftables.New(nftables.WithNetNSFd(ns.FD()))
	if err != nil {
		return nil, fmt.Errorf("nftables in %s: %w", ns, err)
	}
	t := &Table{ns: ns, conn: conn}
	stale, err := t.present()
	if err != nil {
		return nil, err
	}
	table := &nftables.Table{Name: TableName, Family: nftables.TableFamilyINet}
	if stale {
		log.Warn("replacing a stale nft table left by an earlier run",
			"table", "inet "+TableName, "netns", ns.String())
		conn.DelTable(table)
		t.Replaced = true
	}
	conn.AddTable(table)
	setTrace := []expr.Any{
		&expr.Immediate{Register: 1, Data: []byte{1}},
		&expr.Meta{Key: expr.MetaKeyNFTRACE, SourceRegister: true, Register: 1},
	}
	if !hooked {
		c := conn.AddChain(&nftables.Chain{Name: MarkerChain, Table: table})
		conn.AddRule(&nftables.Rule{Table: table, Chain: c, Exprs: setTrace})
	}
	policy := nftables.ChainPolicyAccept
	for _, h := range traceHooks {
		if !hooked {
			break
		}
		c := conn.AddChain(&nftables.Chain{
			Name:     h.chain,
			Table:    table,
			Type:     nftables.ChainTypeFilter,
			Hooknum:  h.hook,
			Priority: nftables.ChainPriorityFirst,
			Policy:   &policy,
		})
		conn.AddRule(&nftables.Rule{Table: table, Chain: c, Exprs: setTrace})
	}
	if err := conn.Flush(); err != nil {
		return nil, fmt.Errorf("add table inet %s in %s: %w", TableName, ns, err)
	}
	return t, nil
}

// present tells whether table inet Retis_Table exists in the namespace.
func (t *Table) present() (bool, error) {
	tables, err := t.conn.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return false, fmt.Errorf("list nft tables in %s: %w", t.ns, err)
	}
	for _, tb := range tables {
		if tb.Name == TableName {
			return true, nil
		}
	}
	return false, nil
}

// Remove deletes the table. Its error tells how to remove it by hand.
func (t *Table) Remove() error {
	t.conn.DelTable(&nftables.Table{Name: TableName, Family: nftables.TableFamilyINet})
	if err := t.conn.Flush(); err != nil {
		return fmt.Errorf("remove table inet %s from %s: %w (remove it with `%snft delete table inet %s`)",
			TableName, t.ns, err, netnsExecPrefix(t.ns), TableName)
	}
	return nil
}

// netnsExecPrefix is the command prefix that runs a command in ns.
func netnsExecPrefix(ns *Namespace) string {
	switch {
	case ns.Spec == "":
		return ""
	case strings.Contains(ns.Spec, "/"):
		return "nsenter --net=" + ns.Spec + " "
	}
	return "ip netns exec " + ns.Spec + " "
}
