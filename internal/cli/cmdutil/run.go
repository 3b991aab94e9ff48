package cmdutil

import (
	"context"

	"github.com/spf13/cobra"
)

// RunE returns a command's RunE. It checks the arguments and the flag
// values bound into opts with validate (nil when cobra's own checks
// suffice), and only then hands opts to runF when it is set (tests replace
// the run with it), or else to run.
func RunE[O any](opts *O, validate func(args []string) error, runF, run func(context.Context, *O) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if validate != nil {
			if err := validate(args); err != nil {
				return err
			}
		}
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return run(cmd.Context(), opts)
	}
}
