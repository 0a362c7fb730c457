package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/process"
)

func newPcapCmd() *cobra.Command {
	var (
		in    inputFlag
		probe string
		out   string
	)
	cmd := &cobra.Command{
		Use:   "pcap [FILE]",
		Short: "Export stored packets as pcap-ng",
		Long: `Export the packets of stored events as pcap-ng, for tcpdump and Wireshark:
one interface per probe, nanosecond timestamps, and each event's text as
the packet's comment. Events need a packet section: collect with the pcap
profile (retis -p pcap,generic collect -o).

  retis pcap --probe tp:net:netif_receive_skb | tcpdump -nnr -
  retis pcap -o retis.pcap && wireshark retis.pcap`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			w := os.Stdout
			if out == "" || out == "-" {
				if isatty.IsTerminal(os.Stdout.Fd()) {
					return errors.New("refusing to write pcap-ng to a terminal: use -o FILE or pipe to a reader (retis pcap | tcpdump -r -)")
				}
			}
			r, err := in.open(args)
			if err != nil {
				return err
			}
			defer r.Close()
			if out != "" && out != "-" {
				w, err = os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, events.FileMode)
				if err != nil {
					return fmt.Errorf("create pcap file: %w", err)
				}
			}
			n, err := process.Pcap(r, w, process.PcapOptions{Probe: probe})
			if w != os.Stdout {
				if cerr := w.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(out)
				}
			}
			if err != nil {
				return err
			}
			slog.Debug(fmt.Sprintf("%d packet(s) written", n))
			return nil
		},
	}
	in.register(cmd)
	cmd.Flags().StringVarP(&probe, "probe", "p", "", "keep the packets of one probe, as TYPE:TARGET (e.g. tp:net:netif_receive_skb); default all, one interface per probe")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write to this file instead of stdout")
	return cmd
}
