package events

import "testing"

func TestAppendUTC(t *testing.T) {
	off := TimeSpec{Sec: 1742309146, Nsec: 691042000}
	// 30419169061793 ns after boot: 30419 s + 169061793 ns, plus the offset.
	got := string(AppendUTC(nil, 30419169061793, off))
	if got != "2025-03-18 23:12:45.860103" {
		t.Fatalf("got %s", got)
	}
	if got := string(AppendUTC(nil, 999, TimeSpec{})); got != "1970-01-01 00:00:00.000000" {
		t.Fatalf("got %s", got)
	}
}
