package probe

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Spec
	}{
		{"consume_skb", Spec{Kind: Kprobe, Target: "consume_skb"}},
		{"kprobe:kfree_skb_reason", Spec{Kind: Kprobe, Target: "kfree_skb_reason"}},
		{"k:kfree_skb_reason", Spec{Kind: Kprobe, Target: "kfree_skb_reason"}},
		{"kr:tcp_*", Spec{Kind: Kretprobe, Target: "tcp_*"}},
		{"kretprobe:ip_rcv/stack", Spec{Kind: Kretprobe, Target: "ip_rcv", Stack: true}},
		{"skb:kfree_skb", Spec{Kind: Tracepoint, Target: "skb:kfree_skb"}},
		{"net:netif_rx", Spec{Kind: Tracepoint, Target: "net:netif_rx"}},
		{"tp:skb:kfree_skb", Spec{Kind: Tracepoint, Target: "skb:kfree_skb"}},
		{"raw_tracepoint:skb:kfree_skb/stack", Spec{Kind: Tracepoint, Target: "skb:kfree_skb", Stack: true}},
		{"tp:net:*", Spec{Kind: Tracepoint, Target: "net:*"}},
		{"tp:*skb*", Spec{Kind: Tracepoint, Target: "*skb*"}},
		{"kprobe:tcp_v4_*", Spec{Kind: Kprobe, Target: "tcp_v4_*"}},
	} {
		got, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty target"},
		{"kprobe:", "empty target"},
		{"tp:", "empty target"},
		{"tp:skb:", "CATEGORY:NAME"},
		{"tp:skb", "CATEGORY:NAME"},
		{":kfree_skb_reason", "CATEGORY:NAME"},
		{"kprobe:skb:kfree_skb", "function name"},
		{"foo:bar:baz", "unknown type"},
		{"ip_rcv/", "empty option"},
		{"ip_rcv/stack/stack", "given twice"},
		{"ip_rcv/fast", "unknown option"},
	} {
		_, err := Parse(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want one containing %q", tc.in, err, tc.want)
		}
	}
}

func TestSpecString(t *testing.T) {
	for in, want := range map[string]string{
		"net:netif_rx":       "tp:net:netif_rx",
		"ip_rcv/stack":       "kprobe:ip_rcv/stack",
		"kr:tcp_v4_rcv":      "kretprobe:tcp_v4_rcv",
		"tp:skb:kfree_skb":   "tp:skb:kfree_skb",
		"k:tcp_*/stack":      "kprobe:tcp_*/stack",
		"raw_tracepoint:a:b": "tp:a:b",
	} {
		s, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if s.String() != want {
			t.Errorf("%q: String() = %q, want %q", in, s, want)
		}
		// The canonical form parses back to the same spec.
		if again, err := Parse(s.String()); err != nil || again != s {
			t.Errorf("%q: round trip gave %+v, %v", in, again, err)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"net:*", "net:netif_rx", true},
		{"net:*", "skb:kfree_skb", false},
		{"*skb*", "skb:kfree_skb", true},
		{"*skb*", "net:netif_receive_skb", true},
		{"kfree_*", "skb:kfree_skb", false},
		{"tcp_v4_*", "tcp_v4_rcv", true},
		{"tcp_v4_*", "tcp_v6_rcv", false},
		{"tcp_*_rcv", "tcp_v4_rcv", true},
		{"tcp_*_rcv", "tcp_rcv", false},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"ip_rcv", "ip_rcv", true},
		{"ip_rcv", "ip_rcv_core", false},
		{"*", "anything", true},
	} {
		if got := match(tc.pattern, tc.name); got != tc.want {
			t.Errorf("match(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}
