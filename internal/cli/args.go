package cli

import (
	"github.com/spf13/cobra"

	"github.com/bargehq/barge/pkg/release"
)

// allArgs, as the names argument of releaseArgs, makes every argument a
// release name.
const allArgs = -1

// releaseArgs returns the check of a command's arguments whose first names
// arguments (all of them with allArgs) are release names: count checks how
// many there are, then each name is checked with release.ValidateName, so
// that a bad name is reported as such before anything is read or locked
// (rather than as a release not found, or a Lease's name the API refuses).
func releaseArgs(count cobra.PositionalArgs, names int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if count != nil {
			if err := count(cmd, args); err != nil {
				return err
			}
		}
		if names == allArgs || names > len(args) {
			names = len(args)
		}
		for _, n := range args[:names] {
			if err := release.ValidateName(n); err != nil {
				return err
			}
		}
		return nil
	}
}
