package testutils

import (
	"os"
	"testing"
)

func TestBPFLoadWorksAnswers(t *testing.T) {
	err := BPFLoadWorks()
	if os.Geteuid() != 0 && err == nil {
		t.Fatal("no error without root")
	}
	// Whatever the kernel's state, the probe must answer (it did: we are
	// here) and give the same answer twice.
	if err2 := BPFLoadWorks(); (err == nil) != (err2 == nil) {
		t.Fatal("inconsistent answers")
	}
	t.Logf("BPF load probe: %v", err)
}
