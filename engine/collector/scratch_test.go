package collector

import "testing"

func TestScratchAlloc(t *testing.T) {
	type part struct{ a, b int }
	var s Scratch
	s.Next()
	p := Alloc[part](&s, 6)
	p.a = 1
	if q := Alloc[part](&s, 6); q != p || q.a != 1 {
		t.Fatalf("second call within an event: %p %+v, want %p with what the first filled", q, q, p)
	}
	s.Next()
	if q := Alloc[part](&s, 6); q != p || q.a != 0 {
		t.Fatalf("next event: %p %+v, want %p zeroed", q, q, p)
	}
	// Other owners get their own memory; past the slots, fresh memory.
	seen := map[*part]bool{p: true}
	for owner := uint8(7); owner < 7+uint8(len(s.slots))+2; owner++ {
		q := Alloc[part](&s, owner)
		if seen[q] {
			t.Fatalf("owner %d shares memory with another", owner)
		}
		seen[q] = true
	}
	if Alloc[part](nil, 6) == Alloc[part](nil, 6) {
		t.Fatal("without a Scratch every call must allocate")
	}
	// A different type under the same owner gets fresh memory and leaves
	// the slot's alone.
	p.a = 5
	if q := Alloc[struct{ a, b int }](&s, 6); q.a != 0 {
		t.Fatalf("another type under owner 6 got the slot's memory: %+v", q)
	}
	if q := Alloc[part](&s, 6); q != p || q.a != 5 {
		t.Fatalf("after another type under owner 6: %p %+v, want %p unchanged", q, q, p)
	}
}
