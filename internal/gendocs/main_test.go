package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerateManPagesAndCompletions(t *testing.T) {
	out := t.TempDir()
	if err := generate(out, "2026-01-02T03:04:05Z"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"aumo.1", "aumo-login.1", "aumo-status.1", "aumo-sites.1", "aumo-revoke.1"} {
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
