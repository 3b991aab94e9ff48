// Package config resolves aumo's settings: flag, then AUMO_* environment,
// then the config file, then the default (DESIGN §2).
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/aumo-cli/aumo/internal/buildinfo"
	"github.com/aumo-cli/aumo/internal/secret"
)

// Defaults of DESIGN §2.
const (
	DefaultAuthURL     = "https://auth.atlassian.com"
	DefaultAPIURL      = "https://api.atlassian.com"
	DefaultRedirectURL = "http://127.0.0.1:47613/callback"
	DefaultProfile     = "default"
	// DefaultRequestTimeout is how long a request may go without
	// progress: the gateway answers 504 itself after about a minute.
	DefaultRequestTimeout = time.Minute
	StoreKeychain         = "keychain"
	StoreFile             = "file"
)

// DefaultScopes are the scopes aumo asks for: the classic scopes for v1
// search and downloads and the granular ones the v2 APIs need.
var DefaultScopes = []string{
	"read:jira-work", "read:jira-user", "read:me", "search:confluence",
	"read:confluence-content.all", "read:confluence-content.summary",
	"read:confluence-space.summary", "readonly:content.attachment:confluence",
	"read:page:confluence", "read:attachment:confluence", "read:comment:confluence",
	"read:space:confluence", "read:content.metadata:confluence", "read:user:confluence",
	"read:confluence-user", "read:folder:confluence", "offline_access",
}

// Config is aumo's resolved configuration.
type Config struct {
	Profile string
	// File is the config file consulted (it may not exist); FileFrom
	// names what chose it (--config, AUMO_CONFIG, AUMO_CONFIG_DIR,
	// XDG_CONFIG_HOME, or the OS's configuration directory), and
	// FileExists says whether it was there to read.
	File            string
	FileFrom        string
	FileExists      bool
	ClientID        string
	ClientSecret    secret.String
	AuthURL         string
	APIURL          string
	RedirectURL     string
	Site            string
	TokenStore      string
	TokenPassphrase secret.String // environment only
	Scopes          []string
	StateDir        string // aumo's state: per-profile directories, locks
	// RequestTimeout is how long a request may go without progress (no
	// connection, no answer, no byte of its body) before it counts as
	// failed and is retried.
	RequestTimeout time.Duration
	// Sources says where each setting's value came from, by config-file
	// key; SourceOf reads it.
	Sources map[string]Source
	// UnknownKeys are the config file's keys aumo does not know, sorted.
	UnknownKeys []UnknownKey
}

// Error is a configuration mistake the user must fix (exit 2).
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// keys are the settings read through viper, by their config-file name;
// the environment name is AUMO_ + the upper-cased key.
var keys = []string{"profile", "client_id", "client_secret", "auth_url", "api_url", "redirect_url", "site", "token_store", "scopes", "request_timeout"}

var profileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Load resolves the configuration. flags are the command's flags; a flag
// named like a key ("profile", "site") takes precedence when the user set
// it, and "config" names the config file.
func Load(flags *pflag.FlagSet) (*Config, error) {
	getenv := os.Getenv
	file, from, explicit := configFile(flags, getenv)
	v, exists, err := readFile(file, explicit)
	if err != nil {
		return nil, err
	}
	// Only the file's keys are known to viper yet.
	unknown := unknownKeys(v.AllKeys())
	setDefaults(v)
	v.SetEnvPrefix("AUMO")
	v.AutomaticEnv()
	if err := bindFlags(v, flags); err != nil {
		return nil, err
	}
	if v.InConfig("token_passphrase") {
		return nil, &Error{Msg: fmt.Sprintf("config file %s holds token_passphrase: passphrases are read from AUMO_TOKEN_PASSPHRASE only; remove it from the file", file)}
	}

	get := v.GetString
	timeout, err := requestTimeout(get("request_timeout"))
	if err != nil {
		return nil, err
	}

	c := &Config{
		Profile:         get("profile"),
		File:            file,
		FileFrom:        from,
		FileExists:      exists,
		ClientID:        get("client_id"),
		ClientSecret:    secret.New(get("client_secret")),
		AuthURL:         strings.TrimRight(get("auth_url"), "/"),
		APIURL:          strings.TrimRight(get("api_url"), "/"),
		RedirectURL:     get("redirect_url"),
		Site:            get("site"),
		TokenStore:      get("token_store"),
		TokenPassphrase: secret.New(envSecret(EnvName(keyTokenPassphrase))),
		Scopes:          splitScopes(v.GetStringSlice("scopes")),
		StateDir:        stateDir(getenv),
		RequestTimeout:  timeout,
		Sources:         sources(v, flags, getenv),
		UnknownKeys:     unknown,
	}
	// The app's secret from the environment wins over the file's, as
	// every other key's does; secret.TakeEnv took it out of the
	// environment, where viper would have found it.
	if s := envSecret(EnvName(keyClientSecret)); s != "" {
		c.ClientSecret = secret.New(s)
		c.Sources[keyClientSecret] = SourceEnv
	}
	if !c.TokenPassphrase.IsZero() {
		c.Sources[keyTokenPassphrase] = SourceEnv
	}
	return c, c.validate()
}

// readFile reads the config file into a new viper, which then knows the
// file's keys and nothing else. A file that is not there is no error
// unless the user named it.
func readFile(file string, explicit bool) (v *viper.Viper, exists bool, err error) {
	v = viper.New()
	if file == "" {
		return v, false, nil
	}
	v.SetConfigFile(file)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		var pathErr *fs.PathError
		if explicit || !errors.As(err, &pathErr) {
			return nil, false, &Error{Msg: fmt.Sprintf("config file %s: %v", file, err)}
		}
		return v, false, nil
	}
	return v, true, nil
}

func setDefaults(v *viper.Viper) {
	v.SetDefault("profile", DefaultProfile)
	v.SetDefault("client_id", buildinfo.ClientID)
	v.SetDefault(keyClientSecret, buildinfo.ClientSecret)
	v.SetDefault("auth_url", DefaultAuthURL)
	v.SetDefault("api_url", DefaultAPIURL)
	v.SetDefault("redirect_url", DefaultRedirectURL)
	v.SetDefault("site", "")
	v.SetDefault("token_store", StoreKeychain)
	v.SetDefault("scopes", strings.Join(DefaultScopes, " "))
	v.SetDefault("request_timeout", DefaultRequestTimeout.String())
}

// bindFlags lets a flag named like a key set it.
func bindFlags(v *viper.Viper, flags *pflag.FlagSet) error {
	if flags == nil {
		return nil
	}
	for _, k := range keys {
		if f := flags.Lookup(k); f != nil {
			if err := v.BindPFlag(k, f); err != nil {
				return err
			}
		}
	}
	return nil
}

// envSecret is a secret variable's value, taken out of the environment
// (secret.LookupEnv) so that no child process inherits it.
func envSecret(name string) string {
	v, _ := secret.LookupEnv(name)
	return v
}

// requestTimeout reads request_timeout: a Go duration such as "90s" or
// "2m", or a number of seconds.
func requestTimeout(raw string) (time.Duration, error) {
	raw = strings.TrimSpace(raw)
	d, err := time.ParseDuration(raw)
	if n, nerr := strconv.Atoi(raw); err != nil && nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil || d < time.Second || d > time.Hour {
		return 0, &Error{Msg: fmt.Sprintf("request_timeout (AUMO_REQUEST_TIMEOUT) %q: give a duration from 1s to 1h, such as 90s or 2m", raw)}
	}
	return d, nil
}

// splitScopes accepts scopes separated by spaces or commas.
func splitScopes(in []string) []string {
	var out []string
	for _, s := range in {
		out = append(out, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })...)
	}
	return out
}

func (c *Config) validate() error {
	if !profileName.MatchString(c.Profile) {
		return &Error{Msg: fmt.Sprintf("profile name %q: use letters, digits, '.', '_' or '-' (at most 64)", c.Profile)}
	}
	if c.TokenStore != StoreKeychain && c.TokenStore != StoreFile {
		return &Error{Msg: fmt.Sprintf("AUMO_TOKEN_STORE %q: use %q or %q", c.TokenStore, StoreKeychain, StoreFile)}
	}
	for name, raw := range map[string]string{"AUMO_AUTH_URL": c.AuthURL, "AUMO_API_URL": c.APIURL} {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &Error{Msg: fmt.Sprintf("%s %q is not an http(s) URL", name, raw)}
		}
		// Tokens and the client secret travel to these servers: plain
		// HTTP only on this machine (test servers, the sandbox).
		if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
			return &Error{Msg: fmt.Sprintf("%s %q must use https (plain http only on a loopback address)", name, raw)}
		}
	}
	if u, err := url.Parse(c.RedirectURL); err != nil || u.Scheme != "http" || !IsLoopback(u.Hostname()) {
		return &Error{Msg: fmt.Sprintf("AUMO_REDIRECT_URL %q must be an http URL on a loopback address (127.0.0.1, [::1] or localhost)", c.RedirectURL)}
	}
	if c.StateDir == "" {
		return &Error{Msg: "cannot find a state directory: set XDG_STATE_HOME"}
	}
	return nil
}

// IsLoopback reports whether host names this machine's loopback interface.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ProfileDir is the profile's own state directory: audit trail, export
// checkpoints and the file store's tokens.
func (c *Config) ProfileDir() string { return filepath.Join(c.StateDir, c.Profile) }

// DefaultFile is the config file aumo reads when --config does not name
// one; empty when there is no configuration directory to look in.
func DefaultFile() string {
	file, _, _ := configFile(nil, os.Getenv)
	return file
}

// configFile finds the config file, says what chose it, and whether the
// user named it (then it must exist).
func configFile(flags *pflag.FlagSet, getenv func(string) string) (path, from string, explicit bool) {
	if flags != nil {
		if f := flags.Lookup("config"); f != nil && f.Changed {
			return f.Value.String(), "--config", true
		}
	}
	if p := getenv("AUMO_CONFIG"); p != "" {
		return p, "AUMO_CONFIG", true
	}
	if d := getenv("AUMO_CONFIG_DIR"); d != "" {
		return filepath.Join(d, "config.yaml"), "AUMO_CONFIG_DIR", false
	}
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "aumo", "config.yaml"), "XDG_CONFIG_HOME", false
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "aumo", "config.yaml"), "the configuration directory", false
	}
	return "", "", false
}

func stateDir(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "aumo")
	}
	if runtime.GOOS == "windows" {
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "aumo", "state")
		}
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "aumo")
	}
	return ""
}
