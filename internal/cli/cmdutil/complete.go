package cmdutil

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/config"
)

// completionTimeout bounds what completing a value may read: a shell
// waits for it, and a locked keychain would keep it waiting.
const completionTimeout = 5 * time.Second

// CompleteSites completes a site (--site, `aumo sites use SITE`) with the
// sites stored for the profile the command line names: each by name and
// by host, which --site takes as its URL. Nothing is offered when the
// profile is not logged in or its grant cannot be read.
func CompleteSites(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	const directive = cobra.ShellCompDirectiveNoFileComp
	cfg, err := config.Load(cmd.Flags())
	if err != nil {
		return nil, directive
	}
	ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
	defer cancel()
	g, err := StoreFor(cfg).Load(ctx, cfg.Profile)
	if err != nil {
		return nil, directive
	}
	var out []cobra.Completion
	for _, s := range g.Sites {
		host := s.URL
		if u, err := url.Parse(s.URL); err == nil && u.Host != "" {
			host = u.Host
		}
		out = append(out, cobra.CompletionWithDesc(s.Name, s.URL), cobra.CompletionWithDesc(host, s.Name))
	}
	return withPrefix(out, toComplete), directive
}

// CompleteProfiles completes --profile with the profiles that have a
// directory in aumo's state directory.
func CompleteProfiles(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	const directive = cobra.ShellCompDirectiveNoFileComp
	// A configuration that does not validate (a half-typed --profile)
	// still names the state directory.
	cfg, _ := config.Load(cmd.Flags())
	if cfg == nil {
		return nil, directive
	}
	profiles, err := config.Profiles(cfg.StateDir)
	if err != nil {
		return nil, directive
	}
	return withPrefix(profiles, toComplete), directive
}

// CompleteList completes a flag that takes a comma-separated list of
// choices (each "value" or "value\tdescription"): after the last comma,
// the choices not yet in the list.
func CompleteList(choices ...cobra.Completion) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		done, _ := cutLast(toComplete, ",")
		given := map[string]bool{}
		if done != "" {
			for _, v := range strings.Split(strings.TrimSuffix(done, ","), ",") {
				given[strings.TrimSpace(v)] = true
			}
		}
		var out []cobra.Completion
		for _, c := range choices {
			if value, _, _ := strings.Cut(c, "\t"); !given[value] {
				out = append(out, done+c)
			}
		}
		return withPrefix(out, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// cutLast splits s after its last sep: what comes before (with sep) and
// after.
func cutLast(s, sep string) (before, after string) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", s
	}
	return s[:i+len(sep)], s[i+len(sep):]
}

// withPrefix keeps the completions whose value starts with prefix,
// ignoring case.
func withPrefix(all []cobra.Completion, prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, c := range all {
		if value, _, _ := strings.Cut(c, "\t"); strings.HasPrefix(strings.ToLower(value), strings.ToLower(prefix)) {
			out = append(out, c)
		}
	}
	return out
}
