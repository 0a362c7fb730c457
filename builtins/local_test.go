package builtins

import (
	"testing"

	"go.starlark.net/starlark"
)

func TestLocalTyped(t *testing.T) {
	th := new(starlark.Thread)
	name := NewLocal[string]("retis.test.name")
	if _, ok := name.Get(th); ok {
		t.Fatal("empty thread reports a value")
	}
	name.Set(th, "x")
	if v, ok := name.Get(th); !ok || v != "x" {
		t.Fatalf("got %q %v, want x", v, ok)
	}
	// Same key, other type: the typed view must not return a wrong value.
	other := NewLocal[int]("retis.test.name")
	if _, ok := other.Get(th); ok {
		t.Fatal("int slot read a string value")
	}
}

func TestStateAccumulates(t *testing.T) {
	type cfg struct{ n int }
	th := new(starlark.Thread)
	st := NewState[cfg]("retis.test.cfg")
	if st.Get(th) != nil {
		t.Fatal("state present before Set")
	}
	c := &cfg{}
	st.Set(th, c)
	st.Get(th).n++
	st.Get(th).n++
	if c.n != 2 {
		t.Fatalf("n = %d, want 2", c.n)
	}
}
