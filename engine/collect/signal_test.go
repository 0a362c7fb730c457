package collect

import "testing"

// What a collection registers runs on a forced exit, once unregistered
// no more.
func TestForcedExitCleanups(t *testing.T) {
	var a, b int
	unA := onForcedExit(func() { a++ })
	unB := onForcedExit(func() { b++ })
	runForcedExit()
	unA()
	runForcedExit()
	unB()
	runForcedExit()
	if a != 1 || b != 2 {
		t.Errorf("cleanups ran %d and %d times, want 1 and 2", a, b)
	}
}
