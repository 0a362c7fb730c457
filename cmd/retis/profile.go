package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/retis-go/retis/starlark/profile"
)

func newProfileCmd() *cobra.Command {
	var dirs []string
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "List profiles",
		Long: `Profiles are Starlark files that declare what to collect for a topic
('retis -p dropmon collect'). They are found in the built-in set, then in
/etc/retis/profiles, $HOME/.config/retis/profiles and the -P directories,
a later one replacing a profile of the same name.`,
	}
	cmd.PersistentFlags().StringArrayVarP(&dirs, "profile-dir", "P", nil, "also look for profiles in this directory (repeat for more)")
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the profiles found, with where they come from and what they are for",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			all, err := profile.List(profile.DefaultDirs(dirs))
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tORIGIN\tSUMMARY")
			for _, p := range all {
				s, err := p.Summary()
				if err != nil {
					// A profile that does not parse is still listed:
					// using it will show the error in full.
					s = "(does not parse: " + err.Error() + ")"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\n", p.Name, p.Origin, s)
			}
			return w.Flush()
		},
	})
	return cmd
}
