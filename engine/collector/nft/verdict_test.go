package nft

import (
	"errors"
	"strings"
	"testing"
)

func TestParseVerdicts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"drop,accept", "drop,accept"},
		{"accept, drop", "drop,accept"},
		{"jump,goto,return", "jump,goto,return"},
		{"all", "continue,break,jump,goto,return,drop,accept,stolen,queue,repeat"},
		{"stolen,all", "continue,break,jump,goto,return,drop,accept,stolen,queue,repeat"},
	} {
		s, err := ParseVerdicts(tc.in)
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if s.String() != tc.want {
			t.Errorf("%q: got %s, want %s", tc.in, s, tc.want)
		}
	}
	if DefaultVerdicts.String() != "drop,accept" {
		t.Errorf("default verdicts %s, want drop,accept as Retis", DefaultVerdicts)
	}
}

func TestParseVerdictsRejects(t *testing.T) {
	for _, in := range []string{"dorp", "drop,", "stop", ""} {
		_, err := ParseVerdicts(in)
		if !errors.Is(err, ErrUnknownVerdict) {
			t.Fatalf("%q: got %v, want ErrUnknownVerdict", in, err)
		}
		if !strings.Contains(err.Error(), "--nft-verdicts") || !strings.Contains(err.Error(), "accept") {
			t.Errorf("%q: error %q should name the flag and the valid values", in, err)
		}
	}
}

func TestVerdictFromCode(t *testing.T) {
	for _, tc := range []struct {
		code uint32
		want string
	}{
		{0, "drop"},
		{1, "accept"},
		{3 | 7<<16, "queue"},             // queue number in the upper bits
		{0 | uint32(1)<<16, "drop"},      // NF_DROP_ERR errno in the upper bits
		{uint32(0xfffffffd), "jump"},     // -3
		{uint32(0xfffffffb), "return"},   // -5
		{uint32(0xffffffff), "continue"}, // -1
		{5, "stop"},
		{uint32(0xfffffff0), "unknown"},
	} {
		if got := verdictFromCode(tc.code).String(); got != tc.want {
			t.Errorf("code %#x: got %s, want %s", tc.code, got, tc.want)
		}
	}
	if DefaultVerdicts.Has(VerdictStop) || DefaultVerdicts.Has(Verdict(-16)) {
		t.Error("verdicts outside the selectable range must never be selected")
	}
}
