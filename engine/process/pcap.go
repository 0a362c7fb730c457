package process

import (
	"io"

	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/engine/output/pcapng"
)

// PcapOptions configure Pcap.
type PcapOptions struct {
	// Probe keeps the events of one probe (e.g. tp:net:netif_receive_skb);
	// empty keeps all, one pcap-ng interface per probe.
	Probe string
	Match Matcher
}

// Pcap writes the packets of r as pcap-ng, each with its event's text
// rendering as comment, as Retis does.
func Pcap(r *events.Reader, w io.Writer, o PcapOptions) (int, error) {
	comment := func(e *events.Event) string {
		return string(output.AppendEvent(nil, e, &output.Format{Multiline: true}))
	}
	return pcapng.Export(r, w, pcapng.Options{Probe: o.Probe, Comment: comment, Match: o.Match})
}
