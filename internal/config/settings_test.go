package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSources(t *testing.T) {
	dir := isolate(t)
	writeConfig(t, dir, "site: from-file\napi_url: http://127.0.0.1:9\n")
	t.Setenv("AUMO_TOKEN_STORE", "file")
	c, err := Load(flagSet("--profile", "work"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Source{
		"profile": SourceFlag, "token_store": SourceEnv, "site": SourceFile, "api_url": SourceFile,
		"auth_url": SourceDefault, "scopes": SourceDefault,
	}
	for key, src := range want {
		if got := c.SourceOf(key); got != src {
			t.Errorf("source of %s = %q, want %q", key, got, src)
		}
	}
	if !c.FileExists || c.File != filepath.Join(dir, "config", "aumo", "config.yaml") || c.FileFrom != "XDG_CONFIG_HOME" {
		t.Errorf("file %s (exists %t, from %s)", c.File, c.FileExists, c.FileFrom)
	}

	t.Setenv("AUMO_SITE", "from-env")
	if c, _ = Load(flagSet()); c.SourceOf("site") != SourceEnv || c.SourceOf("profile") != SourceDefault {
		t.Errorf("site from %s, profile from %s", c.SourceOf("site"), c.SourceOf("profile"))
	}
	if c, _ = Load(flagSet("--site", "x")); c.SourceOf("site") != SourceFlag {
		t.Errorf("site from %s, want the flag", c.SourceOf("site"))
	}
}

func TestSettingsNeverHoldSecrets(t *testing.T) {
	dir := isolate(t)
	writeConfig(t, dir, "client_secret: file-secret\n")
	t.Setenv("AUMO_TOKEN_PASSPHRASE", "env-passphrase")
	c, err := Load(flagSet())
	if err != nil {
		t.Fatal(err)
	}
	settings := c.Settings()
	b, _ := json.Marshal(settings)
	if strings.Contains(string(b), "file-secret") || strings.Contains(string(b), "env-passphrase") {
		t.Fatalf("a secret in the settings: %s", b)
	}
	byKey := map[string]Setting{}
	for _, s := range settings {
		byKey[s.Key] = s
	}
	if s := byKey["client_secret"]; !s.Secret || !s.Set || s.Source != SourceFile || s.Value != "" {
		t.Errorf("client_secret: %+v", s)
	}
	if s := byKey["token_passphrase"]; !s.Secret || !s.Set || s.Source != SourceEnv || s.Env != "AUMO_TOKEN_PASSPHRASE" {
		t.Errorf("token_passphrase: %+v", s)
	}
	if s := byKey["site"]; s.Set || s.Value != "" || s.Source != SourceDefault {
		t.Errorf("site: %+v", s)
	}
	if s := byKey["request_timeout"]; s.Value != "1m0s" || s.Env != "AUMO_REQUEST_TIMEOUT" {
		t.Errorf("request_timeout: %+v", s)
	}
	for _, k := range keys {
		if _, ok := byKey[k]; !ok {
			t.Errorf("key %s is not shown", k)
		}
	}
}

func TestUnknownKeys(t *testing.T) {
	dir := isolate(t)
	writeConfig(t, dir, "sitee: acme\nprofle: work\nclient-id: x\nAUMO_SITE: y\ncolour: blue\nscopes: [read:me]\ntimeout: 5m\nnested:\n  key: 1\n")
	c, err := Load(flagSet())
	if err != nil {
		t.Fatal(err)
	}
	want := []UnknownKey{
		{Key: "aumo_site", Suggestion: "site"},
		{Key: "client-id", Suggestion: "client_id"},
		{Key: "colour"},
		{Key: "nested"},
		{Key: "profle", Suggestion: "profile"},
		{Key: "sitee", Suggestion: "site"},
		{Key: "timeout", Suggestion: "request_timeout"},
	}
	if !slices.Equal(c.UnknownKeys, want) {
		t.Errorf("unknown keys %+v\nwant %+v", c.UnknownKeys, want)
	}
	warnings := c.Warnings()
	if len(warnings) != len(want) || !strings.Contains(warnings[5], `unknown key "sitee" (did you mean "site"?)`) ||
		!strings.Contains(warnings[2], c.File) {
		t.Errorf("warnings %q", warnings)
	}
	if c.Site != "" {
		t.Errorf("a misspelt key was read as site: %q", c.Site)
	}
}

func TestDefaultFile(t *testing.T) {
	dir := isolate(t)
	if got, want := DefaultFile(), filepath.Join(dir, "config", "aumo", "config.yaml"); got != want {
		t.Errorf("default file %s, want %s", got, want)
	}
	t.Setenv("AUMO_CONFIG_DIR", filepath.Join(dir, "cfg"))
	if got, want := DefaultFile(), filepath.Join(dir, "cfg", "config.yaml"); got != want {
		t.Errorf("default file %s, want %s", got, want)
	}
}

func TestProfiles(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"default", "work", ".locks", "not a profile"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "stray-file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Profiles(dir)
	if err != nil || !slices.Equal(got, []string{"default", "work"}) {
		t.Errorf("profiles %q, %v", got, err)
	}
	if got, err := Profiles(filepath.Join(dir, "missing")); err != nil || len(got) != 0 {
		t.Errorf("no state directory: %q, %v", got, err)
	}
}
