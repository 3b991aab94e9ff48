// Package revoke implements `aumo revoke`.
package revoke

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

// ConnectedAppsURL is where a person removes aumo's grant at Atlassian;
// Atlassian offers 3LO apps no revocation endpoint.
const ConnectedAppsURL = "https://id.atlassian.com/manage-profile/apps"

// otherKeychainTimeout bounds the clean-up of keychain items when the
// configured store is the file: a missing keychain must not stall revoke.
const otherKeychainTimeout = 5 * time.Second

// Options are the dependencies and flags of `aumo revoke`.
type Options struct {
	Factory *cmdutil.Factory
	Yes     bool
	All     bool
}

// NewCmdRevoke returns `aumo revoke`. runF replaces the run in tests.
func NewCmdRevoke(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "revoke",
		Short: "Delete the tokens and every local file aumo keeps for the profile",
		Long: `Delete everything aumo keeps for the profile: the tokens in the OS keychain or
the encrypted token file, export checkpoints and state, and the audit trail.
It lists what it deleted. --all does so for every profile.

Atlassian offers no way for aumo to withdraw the grant itself: remove aumo at
` + ConnectedAppsURL + ` to end it there too.`,
		Example: `  aumo revoke
  aumo revoke --yes --all`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(opts, nil, runF, Run),
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&opts.All, "all", false, "revoke every profile")
	return cmd
}

// Run deletes the profile's (or every profile's) tokens and files.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	cfg, store, err := f.ConfigAndStore()
	if err != nil {
		return err
	}
	profiles := []string{cfg.Profile}
	if opts.All {
		if profiles, err = allProfiles(cfg); err != nil {
			return err
		}
	}
	if !opts.Yes {
		if !f.IO.CanPrompt() {
			return cmdutil.Usagef("revoke deletes the tokens of %s; pass --yes to confirm (there is no terminal to ask)", strings.Join(profiles, ", "))
		}
		fmt.Fprintf(f.IO.ErrOut, "Delete the tokens and local files of profile %s? [y/N] ", strings.Join(profiles, ", "))
		answer, err := f.IO.ReadLine()
		if err != nil {
			return err
		}
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(f.IO.ErrOut, "Nothing deleted.")
			return nil
		}
	}

	var deleted []string
	for _, p := range profiles {
		d, err := revokeProfile(ctx, f, cfg, store, p)
		deleted = append(deleted, d...)
		if err != nil {
			report(f, deleted)
			return fmt.Errorf("revoke profile %s: %w", p, err)
		}
	}
	if len(deleted) == 0 {
		fmt.Fprintf(f.IO.Out, "Nothing stored for profile %s.\n", strings.Join(profiles, ", "))
	} else {
		report(f, deleted)
	}
	fmt.Fprintf(f.IO.Out, "To withdraw aumo's access at Atlassian too, remove it at %s\n", ConnectedAppsURL)
	return nil
}

func report(f *cmdutil.Factory, deleted []string) {
	if len(deleted) == 0 {
		return
	}
	fmt.Fprintln(f.IO.Out, "Deleted:")
	for _, d := range deleted {
		fmt.Fprintf(f.IO.Out, "  %s\n", d)
	}
}

// revokeProfile deletes one profile's tokens and state under the profile's
// lock, so that a refresh in flight in another process finishes first and
// nothing writes the profile again afterwards.
func revokeProfile(ctx context.Context, f *cmdutil.Factory, cfg *config.Config, store tokenstore.Store, profile string) (deleted []string, err error) {
	err = tokenstore.WithLock(ctx, cfg.StateDir, profile, f.LockWaiting(profile), func() error {
		deleted, err = deleteProfile(ctx, f, cfg, store, profile)
		return err
	})
	return deleted, err
}

func deleteProfile(ctx context.Context, f *cmdutil.Factory, cfg *config.Config, store tokenstore.Store, profile string) ([]string, error) {
	deleted, err := store.Delete(ctx, profile)
	if err != nil {
		return deleted, err
	}
	if _, isFile := store.(*tokenstore.File); isFile {
		// Items from an earlier login with the keychain store, if any.
		kc := &tokenstore.Keychain{Keyring: tokenstore.SystemKeyring{}, Timeout: otherKeychainTimeout}
		d, err := kc.Delete(ctx, profile)
		deleted = append(deleted, d...)
		var unavailable *tokenstore.UnavailableError
		if err != nil && !errors.As(err, &unavailable) {
			return deleted, err
		}
		if err != nil {
			f.Logger.Debug("keychain not reachable; no keychain items deleted", "err", err)
		}
	}

	dir := filepath.Join(cfg.StateDir, profile)
	var files []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if err := os.RemoveAll(dir); err != nil {
		return deleted, err
	}
	sort.Strings(files)
	for _, p := range files {
		deleted = append(deleted, "file "+p)
	}
	return deleted, nil
}

// allProfiles lists the profiles with state: one directory each in the
// state directory, plus the current one.
func allProfiles(cfg *config.Config) ([]string, error) {
	seen := map[string]bool{cfg.Profile: true}
	profiles := []string{cfg.Profile}
	entries, err := os.ReadDir(cfg.StateDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && !seen[e.Name()] {
			seen[e.Name()] = true
			profiles = append(profiles, e.Name())
		}
	}
	return profiles, nil
}
