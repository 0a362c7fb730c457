package main

import (
	"errors"
	"os"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/retis-go/retis/engine/output"
)

func newPcapCmd() *cobra.Command {
	var (
		in     inputFlag
		probe  string
		out    string
		filter string
	)
	cmd := &cobra.Command{
		Use:   "pcap [FILE]",
		Short: "Export stored packets as pcap-ng",
		Long: `Export the packets of stored events as pcap-ng, for tcpdump and Wireshark:
one interface per probe, nanosecond timestamps, and each event's text as
the packet's comment. Events need a packet section: collect with the pcap
profile (retis -p pcap,generic collect -o).

  retis pcap --probe tp:net:netif_receive_skb | tcpdump -nnr -
  retis pcap -o retis.pcap && wireshark retis.pcap

It runs the built-in script pcap (retis run pcap -i FILE --arg out=FILE).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if out == "" || out == "-" {
				if isatty.IsTerminal(os.Stdout.Fd()) {
					return errors.New("refusing to write pcap-ng to a terminal: use -o FILE or pipe to a reader (retis pcap | tcpdump -r -)")
				}
				out = "-"
			}
			path, err := in.check(args)
			if err != nil {
				return err
			}
			a := map[string]string{"out": out, "filter": filter}
			if probe != "" {
				a["probe"] = probe
			}
			var paths []string
			if out != "-" {
				paths = append(paths, out)
			}
			return runBuiltin("pcap", path, a, output.Format{Multiline: true}, os.Stdout, paths...)
		},
	}
	in.register(cmd)
	registerFilter(cmd, &filter)
	cmd.Flags().StringVarP(&probe, "probe", "p", "", "keep the packets of one probe, as TYPE:TARGET (e.g. tp:net:netif_receive_skb); default all, one interface per probe")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write to this file instead of stdout")
	return cmd
}
