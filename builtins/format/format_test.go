package format

import (
	"strings"
	"testing"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/retis-go/retis/builtins/event"
	"github.com/retis-go/retis/engine/events"
)

type upper struct{}

func (upper) AppendEvent(dst []byte, e *events.Event) []byte {
	return append(dst, strings.ToUpper(e.Kernel.Symbol)+"\n"...)
}

func (u upper) AppendSeries(dst []byte, s []*events.Event) []byte {
	for _, e := range s {
		dst = append(append(dst, '+'), u.AppendEvent(nil, e)...)
	}
	return dst
}

func TestModuleUsesThreadFormatter(t *testing.T) {
	a := &events.Event{Kernel: &events.Kernel{Symbol: "skb:kfree_skb"}}
	b := &events.Event{Kernel: &events.Kernel{Symbol: "net:netif_rx"}}
	th := new(starlark.Thread)
	event.SetFormatter(th, upper{})
	_, err := starlark.ExecFileOptions(&syntax.FileOptions{TopLevelControl: true}, th, "f.star", `
if fmt.event(e) != "SKB:KFREE_SKB":
    fail(fmt.event(e))
if fmt.series(s) != "+SKB:KFREE_SKB\n+NET:NETIF_RX":
    fail(fmt.series(s))
fmt.event(s)
`, starlark.StringDict{"fmt": Module, "e": event.New(a, nil), "s": event.NewSeries([]*events.Event{a, b}, nil)})
	if err == nil || !strings.Contains(err.Error(), "fmt.event: for parameter event: got series, want event") {
		t.Fatalf("got %v", err)
	}
}
