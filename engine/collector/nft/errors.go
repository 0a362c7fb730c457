package nft

import "errors"

var (
	// ErrSystemChangesNotAllowed is returned when the collector would have
	// to change the system's ruleset without --allow-system-changes.
	ErrSystemChangesNotAllowed = errors.New("the nft collector adds table inet " + TableName +
		" to the nftables ruleset of each watched namespace (its chains set meta nftrace on every packet," +
		" without which the kernel reports no verdict), and removes it on exit:" +
		" allow this change with --allow-system-changes")
	// ErrUnknownVerdict is returned for a --nft-verdicts value that names no
	// verdict.
	ErrUnknownVerdict = errors.New("unknown verdict")
	// ErrClosed is returned by a Listener read after Close.
	ErrClosed = errors.New("nft trace listener closed")
)
