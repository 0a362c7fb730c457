package event

import (
	"bytes"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"
	"go.starlark.net/starlark"
)

// object is a JSON object seen as a value with attributes; it stands for
// sections known only by their JSON (unknown sections, the OvS union).
type object struct {
	keys []string
	vals map[string]starlark.Value
	raw  []byte
}

var _ starlark.HasAttrs = (*object)(nil)

func (o *object) String() string        { return string(o.raw) }
func (o *object) Type() string          { return "object" }
func (o *object) Freeze()               {}
func (o *object) Truth() starlark.Bool  { return starlark.True }
func (o *object) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: object") }
func (o *object) AttrNames() []string   { return o.keys }

func (o *object) Attr(name string) (starlark.Value, error) {
	if v, ok := o.vals[name]; ok {
		return v, nil
	}
	return nil, nil
}

// fromJSON converts a JSON value. Integers stay exact (uint64 ids and
// addresses do not fit a float).
func fromJSON(raw []byte) (starlark.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("decode section: %w", err)
	}
	return convertJSON(x, raw)
}

func convertJSON(x any, raw []byte) (starlark.Value, error) {
	switch x := x.(type) {
	case nil:
		return starlark.None, nil
	case bool:
		return starlark.Bool(x), nil
	case string:
		return starlark.String(x), nil
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return starlark.MakeInt64(i), nil
			}
			if u, err := strconv.ParseUint(s, 10, 64); err == nil {
				return starlark.MakeUint64(u), nil
			}
			b, ok := new(big.Int).SetString(s, 10)
			if !ok {
				return nil, fmt.Errorf("bad JSON number %s", s)
			}
			return starlark.MakeBigInt(b), nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, err
		}
		return starlark.Float(f), nil
	case []any:
		t := make(starlark.Tuple, len(x))
		for i, e := range x {
			v, err := convertJSON(e, nil)
			if err != nil {
				return nil, err
			}
			t[i] = v
		}
		return t, nil
	case map[string]any:
		o := &object{vals: make(map[string]starlark.Value, len(x)), raw: raw}
		for k, e := range x {
			v, err := convertJSON(e, nil)
			if err != nil {
				return nil, err
			}
			k = snake(k)
			o.keys = append(o.keys, k)
			o.vals[k] = v
		}
		sort.Strings(o.keys)
		if o.raw == nil {
			o.raw, _ = json.Marshal(x)
		}
		return o, nil
	}
	return nil, fmt.Errorf("unexpected JSON value %T", x)
}
