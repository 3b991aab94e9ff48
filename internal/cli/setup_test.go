package cli

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSetupStopsWithTheCommandToRun runs the README's test command on a
// machine that lacks the system tests' packages and may not install them:
// it stops at once, naming the command to run, and runs no test.
func TestSetupStopsWithTheCommandToRun(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stubs map[string]string
		want  string
	}{
		{"Debian without root", map[string]string{
			"dpkg-query": "exit 1", "id": "echo 1000", "sudo": "exit 1",
		}, "sudo apt-get install -y age bash-completion chromium curl dbus gnome-keyring libsecret-tools"},
		{"no Debian", map[string]string{"id": "echo 1000"}, "run go test ./... for every other test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := t.TempDir()
			ran := filepath.Join(t.TempDir(), "go-ran")
			tc.stubs["go"] = "touch " + ran
			for name, body := range tc.stubs {
				if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			// What the script needs besides the stubs, and nothing else.
			for _, tool := range []string{"dirname", "grep"} {
				p, err := exec.LookPath(tool)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
					t.Fatal(err)
				}
			}
			bash, err := exec.LookPath("bash")
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bash, filepath.Join("..", "..", ".ci", "test"))
			cmd.Env = []string{"PATH=" + bin}
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit %v, want 1:\n%s", err, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("output %q, want it to say %q", out, tc.want)
			}
			if _, err := os.Stat(ran); err == nil {
				t.Error("it ran go test all the same")
			}
		})
	}
}
