package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/config"
)

func TestGenerateManPagesAndCompletions(t *testing.T) {
	out := t.TempDir()
	if err := generate(out, "2026-01-02T03:04:05Z"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"aumo.1", "aumo-login.1", "aumo-status.1", "aumo-sites.1", "aumo-sites-use.1", "aumo-config.1", "aumo-revoke.1"} {
		b, err := os.ReadFile(filepath.Join(out, "man", name))
		if err != nil {
			t.Fatal(err)
		}
		page := string(b)
		for _, want := range []string{".SH NAME", ".SH SYNOPSIS", "Jan 2026"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
	login, _ := os.ReadFile(filepath.Join(out, "man", "aumo-login.1"))
	if !strings.Contains(string(login), `\fB--no-browser\fP`) {
		t.Error("aumo-login.1 does not document --no-browser")
	}
	verify, _ := os.ReadFile(filepath.Join(out, "man", "aumo-verify.1"))
	if !strings.Contains(string(verify), `\fB--repair\fP`) {
		t.Error("aumo-verify.1 does not document --repair")
	}
	// The man pages hold for every machine: --config's default is told in
	// words, not as this machine's path nor as an unexpanded variable.
	top, _ := os.ReadFile(filepath.Join(out, "man", "aumo.1"))
	if strings.Contains(string(top), "$XDG_CONFIG_HOME") || strings.Contains(string(top), config.DefaultFile()) {
		t.Errorf("aumo.1 describes --config with a variable or this machine's path:\n%s", top)
	}
	if !strings.Contains(string(top), "aumo config") {
		t.Error("aumo.1 does not say where to see the config file's path")
	}
	for _, name := range []string{"aumo.bash", "aumo.zsh", "aumo.fish", "aumo.ps1"} {
		if fi, err := os.Stat(filepath.Join(out, "completions", name)); err != nil || fi.Size() == 0 {
			t.Errorf("completion %s: %v", name, err)
		}
	}

	// Same inputs, same bytes: releases are reproducible.
	again := t.TempDir()
	if err := generate(again, "2026-01-02T03:04:05Z"); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(out, "man", "aumo-login.1"))
	b, _ := os.ReadFile(filepath.Join(again, "man", "aumo-login.1"))
	if string(a) != string(b) {
		t.Error("man pages differ between two runs")
	}
}
