package builtins

import "go.starlark.net/starlark"

// Local is a typed thread-local slot. Groups declare one per kind of state
// and wrap it in a SetX/X pair; the type parameter keeps every reader and
// writer agreeing on what is stored without reflection.
type Local[T any] struct {
	key string
}

// NewLocal returns a slot stored under key. Keys must be unique across
// groups; by convention they are "retis.<group>.<what>".
func NewLocal[T any](key string) Local[T] {
	return Local[T]{key: key}
}

// Set stores v in thread. Like starlark.Thread.SetLocal, it must be called
// before the thread starts executing.
func (l Local[T]) Set(thread *starlark.Thread, v T) {
	thread.SetLocal(l.key, v)
}

// Get returns the value stored in thread and whether there was one.
func (l Local[T]) Get(thread *starlark.Thread) (T, bool) {
	v, ok := thread.Local(l.key).(T)
	return v, ok
}

// State is the accumulate-into-a-typed-value form of Local: the runner
// stores a *T before execution and builtins mutate it in place, so
// declarations made anywhere during loading land in one value.
type State[T any] struct {
	slot Local[*T]
}

// NewState returns a state slot stored under key.
func NewState[T any](key string) State[T] {
	return State[T]{slot: NewLocal[*T](key)}
}

// Set stores v (which builtins will mutate) in thread.
func (s State[T]) Set(thread *starlark.Thread, v *T) {
	s.slot.Set(thread, v)
}

// Get returns the stored value, or nil when the runner stored none.
func (s State[T]) Get(thread *starlark.Thread) *T {
	v, _ := s.slot.Get(thread)
	return v
}
