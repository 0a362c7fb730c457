package collector

// Scratch holds the memory collectors decode one event's sections into.
// A decoder done with each event before the next (events only encoded to
// a file) passes the same Scratch for every event, and decoding allocates
// nothing; one that keeps events passes a new Scratch for each. Allocation
// was ~15 % of the ring buffer → file path's CPU.
type Scratch struct {
	gen   uint64
	slots [4]scratchSlot
}

type scratchSlot struct {
	owner uint8
	gen   uint64
	v     any
}

// Next starts a new event: memory handed out for the previous one is
// handed out again, zeroed.
func (s *Scratch) Next() { s.gen++ }

// Alloc returns a zeroed T for the collector owning owner's sections,
// the same one for every call within an event: a collector with several
// sections in an event finds what the earlier ones filled. A nil s (or
// more collectors asking than there are slots) allocates a new T at each
// call: collectors must reach earlier sections through the event, not
// through the T.
func Alloc[T any](s *Scratch, owner uint8) *T {
	if s == nil {
		return new(T)
	}
	for i := range s.slots {
		sl := &s.slots[i]
		if sl.v == nil {
			p := new(T)
			sl.owner, sl.gen, sl.v = owner, s.gen, p
			return p
		}
		if sl.owner != owner {
			continue
		}
		p, ok := sl.v.(*T)
		if !ok {
			break
		}
		if sl.gen != s.gen {
			var zero T
			*p = zero
			sl.gen = s.gen
		}
		return p
	}
	return new(T)
}
