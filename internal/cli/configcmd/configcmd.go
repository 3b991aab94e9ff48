// Package configcmd implements `aumo config`.
package configcmd

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/config"
)

// Options are the dependencies and flags of `aumo config`.
type Options struct {
	Factory *cmdutil.Factory
	JSON    bool
}

// NewCmdConfig returns `aumo config`. runF replaces the run in tests.
func NewCmdConfig(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the effective configuration and where each value came from",
		Long: `Show the configuration aumo works with: every setting's value and where it
came from (a flag, an AUMO_* environment variable, the config file, or the
default), and the config file's path and whether it exists.

Secrets (the OAuth app's client secret, the token store's passphrase) are
never shown: only whether they are set, and where.`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(opts, nil, runF, Run),
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// Report is `aumo config --json`.
type Report struct {
	File        File                `json:"file"`
	StateDir    string              `json:"stateDir"`
	Settings    []config.Setting    `json:"settings"`
	UnknownKeys []config.UnknownKey `json:"unknownKeys,omitempty"`
}

// File is the config file: where it is, whether it is there, and what
// chose that path.
type File struct {
	Path   string `json:"path"`
	Exists bool   `json:"exists"`
	From   string `json:"from"`
}

// Run prints the configuration. A configuration that does not validate
// is shown too, then refused with its error: the table says where the
// wrong value came from.
func Run(_ context.Context, opts *Options) error {
	f := opts.Factory
	cfg, cfgErr := f.Config()
	if cfg == nil {
		return cfgErr
	}
	r := Report{
		File:     File{Path: cfg.File, Exists: cfg.FileExists, From: cfg.FileFrom},
		StateDir: cfg.StateDir, Settings: cfg.Settings(), UnknownKeys: cfg.UnknownKeys,
	}
	var err error
	if opts.JSON {
		err = cmdutil.WriteJSON(f.IO.Out, r)
	} else {
		err = r.print(f.IO.Out)
	}
	if err != nil {
		return err
	}
	return cfgErr
}

func (r Report) print(w io.Writer) error {
	exists := "does not exist"
	if r.File.Exists {
		exists = "exists"
	}
	if r.File.Path == "" {
		fmt.Fprintln(w, "Config file: none (no configuration directory found; set AUMO_CONFIG_DIR)")
	} else {
		fmt.Fprintf(w, "Config file: %s (%s; from %s)\n", r.File.Path, exists, r.File.From)
	}
	fmt.Fprintf(w, "State:       %s\n\n", r.StateDir)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tSOURCE\tVALUE")
	for _, s := range r.Settings {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Key, source(s), value(s))
	}
	return tw.Flush()
}

// value is what the table shows of a setting's value: never a secret.
func value(s config.Setting) string {
	switch {
	case s.Secret && s.Set:
		return "set"
	case s.Secret:
		return "not set"
	case !s.Set:
		return "(none)"
	}
	return s.Value
}

// source says where a setting came from, naming the flag or variable.
func source(s config.Setting) string {
	switch s.Source {
	case config.SourceFlag:
		return "flag (--" + s.Key + ")"
	case config.SourceEnv:
		return "environment (" + s.Env + ")"
	case "":
		return "-"
	}
	return string(s.Source)
}
