// Command gendocs writes aumo's man pages and shell completions from the
// command tree, for release archives:
//
//	go run ./internal/gendocs -out DIR [-date RFC3339]
//
// It writes DIR/man/*.1 and DIR/completions/aumo.{bash,zsh,fish,ps1}. The
// date defaults to SOURCE_DATE_EPOCH, so that releases are reproducible.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/aumo-cli/aumo/internal/buildinfo"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/cli/root"
	"github.com/aumo-cli/aumo/internal/iostreams"
)

func main() {
	out := flag.String("out", "dist-docs", "directory to write into")
	date := flag.String("date", "", "date of the man pages, RFC 3339 (default: SOURCE_DATE_EPOCH, else now)")
	flag.Parse()
	if err := generate(*out, *date); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func generate(out, date string) error {
	when, err := manDate(date)
	if err != nil {
		return err
	}
	cmd := root.NewCmdRoot(cmdutil.New(iostreams.System()))
	cmd.DisableAutoGenTag = true
	root.ForManPages(cmd)

	manDir := filepath.Join(out, "man")
	if err := os.MkdirAll(manDir, 0o750); err != nil {
		return err
	}
	header := &doc.GenManHeader{Title: "AUMO", Section: "1", Source: "aumo " + buildinfo.Version, Manual: "aumo manual", Date: &when}
	if err := doc.GenManTree(cmd, header, manDir); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}

	compDir := filepath.Join(out, "completions")
	if err := os.MkdirAll(compDir, 0o750); err != nil {
		return err
	}
	for name, gen := range map[string]func(*cobra.Command, string) error{
		"aumo.bash": func(c *cobra.Command, p string) error { return c.GenBashCompletionFileV2(p, true) },
		"aumo.zsh":  func(c *cobra.Command, p string) error { return c.GenZshCompletionFile(p) },
		"aumo.fish": func(c *cobra.Command, p string) error { return c.GenFishCompletionFile(p, true) },
		"aumo.ps1":  func(c *cobra.Command, p string) error { return c.GenPowerShellCompletionFileWithDesc(p) },
	} {
		if err := gen(cmd, filepath.Join(compDir, name)); err != nil {
			return fmt.Errorf("completion %s: %w", name, err)
		}
	}
	return nil
}

func manDate(date string) (time.Time, error) {
	if date != "" {
		return time.Parse(time.RFC3339, date)
	}
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		s, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
		}
		return time.Unix(s, 0).UTC(), nil
	}
	return time.Now().UTC(), nil
}
