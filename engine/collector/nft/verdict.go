package nft

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Verdict is an nf_tables verdict code: a netfilter verdict (drop, accept,
// ...) or an nf_tables chain verdict (continue, jump, return, ...).
type Verdict int32

// Verdict codes, from the kernel's uapi (netfilter.h and nf_tables.h).
const (
	VerdictReturn   Verdict = unix.NFT_RETURN
	VerdictGoto     Verdict = unix.NFT_GOTO
	VerdictJump     Verdict = unix.NFT_JUMP
	VerdictBreak    Verdict = unix.NFT_BREAK
	VerdictContinue Verdict = unix.NFT_CONTINUE
	VerdictDrop     Verdict = 0
	VerdictAccept   Verdict = 1
	VerdictStolen   Verdict = 2
	VerdictQueue    Verdict = 3
	VerdictRepeat   Verdict = 4
	VerdictStop     Verdict = 5
)

// nfVerdictMask keeps the verdict of a netfilter code whose upper bits carry
// an argument (the queue number of queue, the errno of drop).
const nfVerdictMask = 0xff

// verdictFromCode turns a code read from the kernel into a Verdict.
func verdictFromCode(code uint32) Verdict {
	v := Verdict(int32(code))
	if v >= 0 {
		v &= nfVerdictMask
	}
	return v
}

var verdictNames = map[Verdict]string{
	VerdictReturn:   "return",
	VerdictGoto:     "goto",
	VerdictJump:     "jump",
	VerdictBreak:    "break",
	VerdictContinue: "continue",
	VerdictDrop:     "drop",
	VerdictAccept:   "accept",
	VerdictStolen:   "stolen",
	VerdictQueue:    "queue",
	VerdictRepeat:   "repeat",
	VerdictStop:     "stop",
}

// String returns the name Retis writes in the nft section ("unknown" for a
// code it does not know).
func (v Verdict) String() string {
	if n, ok := verdictNames[v]; ok {
		return n
	}
	return "unknown"
}

// VerdictSet is a set of verdicts, as selected by --nft-verdicts.
type VerdictSet uint16

// bit maps a verdict to its bit; NFT_RETURN (-5) is the lowest code.
func (v Verdict) bit() VerdictSet {
	i := int32(v) - int32(VerdictReturn)
	if i < 0 || i > int32(VerdictRepeat-VerdictReturn) {
		return 0
	}
	return 1 << i
}

// Has tells whether v is in the set.
func (s VerdictSet) Has(v Verdict) bool { return s&v.bit() != 0 }

// verdictOptions are the values --nft-verdicts accepts, in Retis's order.
// Stop is deprecated in the kernel and not selectable, as in Retis.
var verdictOptions = []Verdict{
	VerdictContinue, VerdictBreak, VerdictJump, VerdictGoto, VerdictReturn,
	VerdictDrop, VerdictAccept, VerdictStolen, VerdictQueue, VerdictRepeat,
}

// DefaultVerdicts is the set used when --nft-verdicts is not given.
var DefaultVerdicts = VerdictDrop.bit() | VerdictAccept.bit()

// ParseVerdicts parses the --nft-verdicts value: a comma-separated list of
// verdict names, or "all".
func ParseVerdicts(list string) (VerdictSet, error) {
	var s VerdictSet
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "all" {
			for _, v := range verdictOptions {
				s |= v.bit()
			}
			continue
		}
		found := false
		for _, v := range verdictOptions {
			if v.String() == name {
				s |= v.bit()
				found = true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("%w %q in --nft-verdicts (want all or a list of %s)",
				ErrUnknownVerdict, name, verdictList())
		}
	}
	return s, nil
}

func verdictList() string {
	names := make([]string, len(verdictOptions))
	for i, v := range verdictOptions {
		names[i] = v.String()
	}
	return strings.Join(names, ", ")
}

// String lists the set's verdicts, comma-separated.
func (s VerdictSet) String() string {
	var names []string
	for _, v := range verdictOptions {
		if s.Has(v) {
			names = append(names, v.String())
		}
	}
	return strings.Join(names, ",")
}
