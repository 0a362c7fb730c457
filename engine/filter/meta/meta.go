package meta

import (
	"fmt"

	"github.com/cilium/ebpf/asm"
)

// Filter is a compiled meta filter.
type Filter struct {
	// Expr is the expression as given.
	Expr string
	// Instructions is the body of retis_filter_meta.
	Instructions asm.Instructions
}

// Compile parses expr, resolves its fields against types and generates the
// body of retis_filter_meta. Errors are *Error for problems in expr; they
// name the part at fault and, for unknown names, suggest the closest ones.
func Compile(expr string, types Types) (*Filter, error) {
	root, err := parse(expr)
	if err != nil {
		return nil, err
	}
	r, err := newResolver(expr, types)
	if err != nil {
		return nil, err
	}
	checks := make(map[*comparison]*check)
	var walk func(n node) error
	walk = func(n node) error {
		switch n := n.(type) {
		case *logical:
			if err := walk(n.l); err != nil {
				return err
			}
			return walk(n.r)
		case *negation:
			return walk(n.x)
		case *comparison:
			ck, err := r.comparison(n)
			if err != nil {
				return err
			}
			checks[n] = ck
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	insns, err := emit(root, checks)
	if err != nil {
		return nil, fmt.Errorf("meta filter %q: %w", expr, err)
	}
	return &Filter{Expr: expr, Instructions: insns}, nil
}
