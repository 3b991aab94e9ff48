// Package cli runs aumo's command line: it builds the command tree, runs
// it, and maps the outcome to an exit code and a next step for the user.
package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/cli/root"
	"github.com/aumo-cli/aumo/internal/iostreams"
	"github.com/aumo-cli/aumo/internal/secret"
)

// Main runs aumo with the process's arguments and returns its exit code.
func Main() int {
	// Before anything can start a child process: the secrets leave the
	// environment, to live in aumo's memory alone.
	secret.TakeEnv()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, cmdutil.New(iostreams.System()), os.Args[1:])
}

// Run runs aumo with args and returns the exit code.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	cmd := root.NewCmdRoot(f)
	cmd.SetArgs(args)
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	err := cmd.ExecuteContext(ctx)
	code, hint := cmdutil.ExitCode(err)
	if err == nil {
		return cmdutil.ExitOK
	}
	if code == cmdutil.ExitInterrupted {
		fmt.Fprintln(f.IO.ErrOut, "aumo: interrupted")
		return code
	}
	fmt.Fprintf(f.IO.ErrOut, "aumo: %v\n", err)
	if hint != "" {
		fmt.Fprintf(f.IO.ErrOut, "hint: %s\n", hint)
	}
	return code
}
