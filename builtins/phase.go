package builtins

import "go.starlark.net/starlark"

// Phase is the part of a script's life a thread is in. Declarations belong
// to loading; opening files and consuming events belong to main(ctx), so
// that loading a profile is hermetic and cheap.
type Phase int

// Phases, in order.
const (
	// PhaseLoad is top-level execution (and modules loaded from it). It is
	// the zero value: a thread nobody set up is loading.
	PhaseLoad Phase = iota
	// PhaseMain is the call of main(ctx).
	PhaseMain
)

func (p Phase) String() string {
	if p == PhaseMain {
		return "main"
	}
	return "load"
}

// phase is a *Phase so the runner can move a running thread from load to
// main without SetLocal (which must not be called once execution began).
var phase = NewLocal[*Phase]("retis.phase")

// SetPhase stores the phase cell the runner will update; call it once
// before execution and change the phase through the returned pointer.
func SetPhase(thread *starlark.Thread, p *Phase) { phase.Set(thread, p) }

// PhaseOf returns the thread's phase (PhaseLoad when none was set).
func PhaseOf(thread *starlark.Thread) Phase {
	if p, ok := phase.Get(thread); ok && p != nil {
		return *p
	}
	return PhaseLoad
}
