package event

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	json "github.com/goccy/go-json"
	"go.starlark.net/starlark"
)

// Section is a struct of the event model seen through its JSON member
// names. It is read-only.
type Section struct {
	v    reflect.Value // a struct, addressable
	info *typeInfo
}

var _ starlark.HasAttrs = (*Section)(nil)

type field struct {
	index []int // through embedded structs, as JSON inlines them
}

type typeInfo struct {
	name string
	// viaJSON marks types with their own JSON form (the OvS tagged
	// union): they are shown as that form, so attribute names always
	// match the file.
	viaJSON bool
	fields  map[string]field
	names   []string
	methods map[string]func(*Section) starlark.Value
}

var (
	typeInfos sync.Map // reflect.Type -> *typeInfo
	// methodsByType adds methods to a section type (packet.decode).
	methodsByType = map[reflect.Type]map[string]func(*Section) starlark.Value{}
)

var jsonMarshaler = reflect.TypeFor[json.Marshaler]()

func infoOf(t reflect.Type) *typeInfo {
	if ti, ok := typeInfos.Load(t); ok {
		return ti.(*typeInfo)
	}
	ti := &typeInfo{
		name:    strings.ToLower(t.Name()),
		viaJSON: t.Implements(jsonMarshaler),
		fields:  map[string]field{},
		methods: methodsByType[t],
	}
	collectFields(t, nil, ti)
	for m := range ti.methods {
		ti.names = append(ti.names, m)
	}
	sort.Strings(ti.names)
	actual, _ := typeInfos.LoadOrStore(t, ti)
	return actual.(*typeInfo)
}

// collectFields indexes exported fields by their JSON name, descending
// into embedded structs the way encoding/json inlines them.
func collectFields(t reflect.Type, prefix []int, ti *typeInfo) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		idx := append(append([]int(nil), prefix...), i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			collectFields(f.Type, idx, ti)
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := ti.fields[name]; dup {
			continue
		}
		ti.fields[name] = field{index: idx}
		ti.names = append(ti.names, name)
	}
}

// valueOf converts a Go value of the event model to Starlark.
func valueOf(v reflect.Value) starlark.Value {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return starlark.None
		}
		return valueOf(v.Elem())
	case reflect.Struct:
		info := infoOf(v.Type())
		if info.viaJSON {
			return viaJSON(v)
		}
		if !v.CanAddr() {
			p := reflect.New(v.Type())
			p.Elem().Set(v)
			v = p.Elem()
		}
		return &Section{v: v, info: info}
	case reflect.String:
		return starlark.String(v.String())
	case reflect.Bool:
		return starlark.Bool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return starlark.MakeInt64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return starlark.MakeUint64(v.Uint())
	case reflect.Float32, reflect.Float64:
		return starlark.Float(v.Float())
	case reflect.Slice:
		if v.IsNil() {
			return starlark.None
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return starlark.Bytes(v.Bytes())
		}
		fallthrough
	case reflect.Array:
		t := make(starlark.Tuple, v.Len())
		for i := range t {
			t[i] = valueOf(v.Index(i))
		}
		return t
	}
	return starlark.String(fmt.Sprint(v.Interface()))
}

func viaJSON(v reflect.Value) starlark.Value {
	raw, err := v.Interface().(json.Marshaler).MarshalJSON()
	if err != nil {
		return starlark.String(fmt.Sprintf("<%v>", err))
	}
	x, err := fromJSON(raw)
	if err != nil {
		return starlark.String(fmt.Sprintf("<%v>", err))
	}
	return x
}

// String renders the section as its JSON object.
func (s *Section) String() string {
	b, err := json.Marshal(s.v.Addr().Interface())
	if err != nil {
		return fmt.Sprintf("<%s: %v>", s.info.name, err)
	}
	return string(b)
}

// Type implements starlark.Value: the Go type's name, lowercased.
func (s *Section) Type() string { return s.info.name }

// Freeze implements starlark.Value; sections are read-only.
func (s *Section) Freeze() {}

// Truth implements starlark.Value: a present section is true.
func (s *Section) Truth() starlark.Bool { return starlark.True }

// Hash implements starlark.Value.
func (s *Section) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: %s", s.info.name) }

// AttrNames implements starlark.HasAttrs.
func (s *Section) AttrNames() []string { return s.info.names }

// Attr implements starlark.HasAttrs.
func (s *Section) Attr(name string) (starlark.Value, error) {
	if f, ok := s.info.fields[name]; ok {
		return valueOf(s.v.FieldByIndex(f.index)), nil
	}
	if m, ok := s.info.methods[name]; ok {
		return m(s), nil
	}
	return nil, nil
}
