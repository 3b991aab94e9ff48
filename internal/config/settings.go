package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Source says where a setting's value came from.
type Source string

// The sources, from the first to be consulted to the last.
const (
	SourceFlag    Source = "flag"
	SourceEnv     Source = "environment"
	SourceFile    Source = "file"
	SourceDefault Source = "default"
)

// The keys of secrets: never shown, only said to be set.
const (
	keyClientSecret    = "client_secret"
	keyTokenPassphrase = "token_passphrase" // environment only
)

// EnvName is the environment variable of a key: AUMO_ and the key in
// upper case.
func EnvName(key string) string { return "AUMO_" + strings.ToUpper(key) }

// SourceOf says where the value of key (as the config file names it) came
// from; SourceDefault for a key never set.
func (c *Config) SourceOf(key string) Source {
	if s, ok := c.Sources[key]; ok {
		return s
	}
	return SourceDefault
}

// sources finds where each key's value came from, in viper's order.
func sources(v *viper.Viper, flags *pflag.FlagSet, getenv func(string) string) map[string]Source {
	out := make(map[string]Source, len(keys))
	for _, k := range keys {
		out[k] = SourceDefault
		switch {
		case flags != nil && flags.Lookup(k) != nil && flags.Lookup(k).Changed:
			out[k] = SourceFlag
		case getenv(EnvName(k)) != "":
			out[k] = SourceEnv
		case v.InConfig(k):
			out[k] = SourceFile
		}
	}
	return out
}

// Setting is one key of the effective configuration, as `aumo config`
// shows it. A secret's value is never in it: Set says whether there is
// one.
type Setting struct {
	Key    string `json:"key"`
	Env    string `json:"env"`
	Value  string `json:"value,omitempty"`
	Secret bool   `json:"secret,omitempty"`
	Set    bool   `json:"set"`
	Source Source `json:"source,omitempty"`
}

// Settings lists every key with its effective value and where it came
// from, in the order of the documentation. Secrets carry no value; a
// secret set nowhere has no source.
func (c *Config) Settings() []Setting {
	plain := map[string]string{
		"profile": c.Profile, "site": c.Site, "client_id": c.ClientID, "auth_url": c.AuthURL,
		"api_url": c.APIURL, "redirect_url": c.RedirectURL, "token_store": c.TokenStore,
		"scopes": strings.Join(c.Scopes, " "), "request_timeout": c.RequestTimeout.String(),
	}
	secrets := map[string]bool{keyClientSecret: !c.ClientSecret.IsZero(), keyTokenPassphrase: !c.TokenPassphrase.IsZero()}
	order := []string{"profile", "site", "client_id", keyClientSecret, "auth_url", "api_url", "redirect_url",
		"token_store", keyTokenPassphrase, "scopes", "request_timeout"}
	out := make([]Setting, 0, len(order))
	for _, k := range order {
		s := Setting{Key: k, Env: EnvName(k), Source: c.SourceOf(k)}
		if set, ok := secrets[k]; ok {
			s.Secret, s.Set = true, set
			if !set {
				s.Source = ""
			}
		} else {
			s.Value, s.Set = plain[k], plain[k] != ""
		}
		out = append(out, s)
	}
	return out
}

// UnknownKey is a key of the config file that aumo does not know, and
// the known key it most likely stands for ("" when none is close).
type UnknownKey struct {
	Key        string `json:"key"`
	Suggestion string `json:"suggestion,omitempty"`
}

// Warnings are the lines that tell the user about the config file's
// unknown keys, one per key.
func (c *Config) Warnings() []string {
	var out []string
	for _, u := range c.UnknownKeys {
		hint := "`aumo config` lists the keys"
		if u.Suggestion != "" {
			hint = fmt.Sprintf("did you mean %q?", u.Suggestion)
		}
		out = append(out, fmt.Sprintf("config file %s: unknown key %q (%s)", c.File, u.Key, hint))
	}
	return out
}

// unknownKeys picks, out of the config file's keys as viper lists them
// (lower case, nested ones joined with dots), the top-level ones aumo does
// not know.
func unknownKeys(fileKeys []string) []UnknownKey {
	var out []UnknownKey
	seen := map[string]bool{}
	for _, k := range fileKeys {
		top, _, _ := strings.Cut(k, ".")
		if seen[top] || top == keyTokenPassphrase || slices.Contains(keys, top) {
			continue
		}
		seen[top] = true
		out = append(out, UnknownKey{Key: top, Suggestion: suggestKey(top)})
	}
	slices.SortFunc(out, func(a, b UnknownKey) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// suggestKey returns the known key an unknown one most likely meant: the
// same key written as its variable or with dashes, a key one or two
// edits away, or the only key that contains it.
func suggestKey(unknown string) string {
	k := strings.TrimPrefix(strings.ReplaceAll(unknown, "-", "_"), "aumo_")
	if slices.Contains(keys, k) {
		return k
	}
	best, bestDist := "", 3
	for _, known := range keys {
		if d := editDistance(k, known); d < bestDist && d < len(k) {
			best, bestDist = known, d
		}
	}
	if best != "" {
		return best
	}
	var containing []string
	for _, known := range keys {
		if len(k) >= 4 && strings.Contains(known, k) {
			containing = append(containing, known)
		}
	}
	if len(containing) == 1 {
		return containing[0]
	}
	return ""
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Profiles lists the profiles that have a directory in the state
// directory stateDir (login makes one), sorted; none when there is no
// state directory yet.
func Profiles(stateDir string) ([]string, error) {
	entries, err := os.ReadDir(stateDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && profileName.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
