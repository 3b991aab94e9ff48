package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/aumo-cli/aumo/internal/secret"
)

func isolate(t *testing.T) string {
	t.Helper()
	for _, e := range os.Environ() {
		if k, _, _ := strings.Cut(e, "="); strings.HasPrefix(k, "AUMO_") {
			t.Setenv(k, "")
		}
	}
	// A secret taken out of the environment by an earlier test is still
	// in memory: an empty variable replaces it.
	for _, k := range secret.EnvNames {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	return dir
}

func writeConfig(t *testing.T, dir, content string) {
	t.Helper()
	p := filepath.Join(dir, "config", "aumo", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func flagSet(args ...string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("profile", "default", "")
	fs.String("site", "", "")
	fs.String("config", "", "")
	if err := fs.Parse(args); err != nil {
		panic(err)
	}
	return fs
}

func TestDefaults(t *testing.T) {
	dir := isolate(t)
	c, err := Load(flagSet())
	if err != nil {
		t.Fatal(err)
	}
	if c.Profile != "default" || c.AuthURL != DefaultAuthURL || c.APIURL != DefaultAPIURL ||
		c.RedirectURL != DefaultRedirectURL || c.TokenStore != StoreKeychain || len(c.Scopes) != len(DefaultScopes) {
		t.Errorf("defaults: %+v", c)
	}
	if c.StateDir != filepath.Join(dir, "state", "aumo") || c.ProfileDir() != filepath.Join(dir, "state", "aumo", "default") {
		t.Errorf("state dir %s", c.StateDir)
	}
}

func TestPrecedenceFlagEnvFileDefault(t *testing.T) {
	dir := isolate(t)
	writeConfig(t, dir, "site: from-file\nprofile: file-profile\napi_url: http://127.0.0.1:9/\nscopes: [read:jira-work, offline_access]\n")

	c, err := Load(flagSet())
	if err != nil {
		t.Fatal(err)
	}
	if c.Site != "from-file" || c.Profile != "file-profile" || c.APIURL != "http://127.0.0.1:9" {
		t.Errorf("file not read: %+v", c)
	}
	if strings.Join(c.Scopes, " ") != "read:jira-work offline_access" {
		t.Errorf("scopes from file: %v", c.Scopes)
	}

	t.Setenv("AUMO_SITE", "from-env")
	t.Setenv("AUMO_SCOPES", "read:me offline_access")
	c, _ = Load(flagSet())
	if c.Site != "from-env" || strings.Join(c.Scopes, " ") != "read:me offline_access" {
		t.Errorf("env does not override file: %+v", c)
	}

	c, _ = Load(flagSet("--site", "from-flag", "--profile", "work"))
	if c.Site != "from-flag" || c.Profile != "work" {
		t.Errorf("flag does not override env: %+v", c)
	}
}

func TestExplicitConfigFile(t *testing.T) {
	dir := isolate(t)
	p := filepath.Join(dir, "other.yaml")
	if err := os.WriteFile(p, []byte("token_store: file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(flagSet("--config", p))
	if err != nil || c.TokenStore != StoreFile {
		t.Fatalf("--config not read: %+v %v", c, err)
	}
	if _, err := Load(flagSet("--config", filepath.Join(dir, "missing.yaml"))); err == nil {
		t.Error("a missing --config file is accepted")
	}
}

func TestBadConfiguration(t *testing.T) {
	cases := map[string]struct {
		file string
		env  map[string]string
		want string
	}{
		"passphrase in file": {file: "token_passphrase: hunter2\n", want: "AUMO_TOKEN_PASSPHRASE only"},
		"bad store":          {env: map[string]string{"AUMO_TOKEN_STORE": "plaintext"}, want: "AUMO_TOKEN_STORE"},
		"bad profile":        {env: map[string]string{"AUMO_PROFILE": "../etc"}, want: "profile name"},
		"bad url":            {env: map[string]string{"AUMO_API_URL": "ftp://x"}, want: "AUMO_API_URL"},
		"plain http abroad":  {env: map[string]string{"AUMO_AUTH_URL": "http://auth.example.com"}, want: "must use https"},
		"remote callback":    {env: map[string]string{"AUMO_REDIRECT_URL": "http://example.com/callback"}, want: "loopback"},
		"malformed yaml":     {file: "site: [unclosed\n", want: "config file"},
		"timeout of nothing": {env: map[string]string{"AUMO_REQUEST_TIMEOUT": "0s"}, want: "request_timeout"},
		"timeout in words":   {file: "request_timeout: soon\n", want: "request_timeout"},
		"timeout of a day":   {env: map[string]string{"AUMO_REQUEST_TIMEOUT": "24h"}, want: "from 1s to 1h"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := isolate(t)
			if tc.file != "" {
				writeConfig(t, dir, tc.file)
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			_, err := Load(flagSet())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Error("the error repeats the passphrase")
			}
		})
	}
}

func TestRequestTimeout(t *testing.T) {
	dir := isolate(t)
	c, err := Load(flagSet())
	if err != nil || c.RequestTimeout != DefaultRequestTimeout {
		t.Fatalf("default: %v, %v", c.RequestTimeout, err)
	}
	writeConfig(t, dir, "request_timeout: 90s\n")
	if c, err = Load(flagSet()); err != nil || c.RequestTimeout != 90*time.Second {
		t.Fatalf("from the file: %v, %v", c.RequestTimeout, err)
	}
	t.Setenv("AUMO_REQUEST_TIMEOUT", "120")
	if c, err = Load(flagSet()); err != nil || c.RequestTimeout != 2*time.Minute {
		t.Fatalf("seconds from the environment: %v, %v", c.RequestTimeout, err)
	}
}

func TestSecretsLeaveTheEnvironment(t *testing.T) {
	isolate(t)
	t.Setenv("AUMO_TOKEN_PASSPHRASE", "pw")
	t.Setenv("AUMO_CLIENT_SECRET", "cs")
	c, err := Load(flagSet())
	if err != nil || c.TokenPassphrase.Reveal() != "pw" || c.ClientSecret.Reveal() != "cs" {
		t.Fatalf("secrets not read: %v", err)
	}
	if os.Getenv("AUMO_TOKEN_PASSPHRASE") != "" || os.Getenv("AUMO_CLIENT_SECRET") != "" {
		t.Error("secrets stay in the environment, where child processes inherit them")
	}
}

func TestScopesBySpaceOrComma(t *testing.T) {
	isolate(t)
	t.Setenv("AUMO_SCOPES", "read:me, offline_access,read:jira-work")
	c, err := Load(flagSet())
	if err != nil || strings.Join(c.Scopes, " ") != "read:me offline_access read:jira-work" {
		t.Fatalf("scopes %q, %v", c.Scopes, err)
	}
}
