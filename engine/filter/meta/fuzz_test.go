package meta

import (
	"errors"
	"testing"
)

// FuzzCompile feeds arbitrary expressions to the parser, resolver and code
// generator: they must return a filter or an *Error, never panic.
func FuzzCompile(f *testing.F) {
	for _, expr := range semanticCases {
		f.Add(expr)
	}
	f.Add(`sk_buff.dev.name == "x" and (not sk_buff.len < 3 || sk_buff.mark:~0x7 == 1)`)
	types := syntheticTypes()
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := Compile(expr, types)
		if err != nil {
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("%q: error %v is not an *Error", expr, err)
			}
			if me.Pos < 0 || me.Pos > len(expr) {
				t.Fatalf("%q: position %d", expr, me.Pos)
			}
			return
		}
		if len(flt.Instructions) == 0 {
			t.Fatalf("%q: no instructions", expr)
		}
	})
}
