//go:build system

package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/aumo-cli/aumo/internal/sandbox"
)

// systemTag says this test binary was built with -tags system.
const systemTag = true

// sessionMarker tells a re-executed test binary that it runs inside the
// D-Bus session that ensureSecretService started.
const sessionMarker = "AUMO_SYSTEM_TEST_SESSION"

// ensureSecretService re-executes the test binary inside a private D-Bus
// session with GNOME Keyring unlocked, so the system tests use a real
// Secret Service and never the developer's own keyring. It fails loudly
// when a part is missing: these tests never skip.
func ensureSecretService() {
	switch filepath.Base(os.Args[0]) {
	case "aumo", "fetch", "fakebrowser", "shows":
		return // a command of a script, already inside the session
	}
	if os.Getenv(sessionMarker) != "" {
		return
	}
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon", "secret-tool", "chromium", "curl", "bash", "age", "age-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Fprintf(os.Stderr, "system tests need %s (apt-get install age bash-completion chromium curl dbus gnome-keyring libsecret-tools): %v\n", tool, err)
			os.Exit(1)
		}
	}
	if _, err := os.Stat("/usr/share/bash-completion/bash_completion"); err != nil {
		fmt.Fprintf(os.Stderr, "system tests need bash-completion (apt-get install bash-completion): %v\n", err)
		os.Exit(1)
	}
	// A keyring of its own: GNOME Keyring keeps its files under
	// XDG_DATA_HOME, and the developer's own keyring stays untouched.
	data, err := os.MkdirTemp("", "aumo-system-keyring-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	script := `printf 'system-test-keyring' | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 1; exec "$0" "$@"`
	cmd := exec.Command("dbus-run-session", append([]string{"--", "sh", "-c", script}, os.Args...)...)
	cmd.Env = append(os.Environ(), sessionMarker+"=1", "XDG_DATA_HOME="+data)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	_ = os.RemoveAll(data)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		os.Exit(ee.ExitCode())
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "start a D-Bus session with GNOME Keyring: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestSystemKeychain runs the stories of testdata/script/system with the
// parts a person has: a real Secret Service (with tokens large enough to be
// split across items), headless Chromium as the browser, bash completion.
func TestSystemKeychain(t *testing.T) {
	bus := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if bus == "" {
		t.Fatal("no D-Bus session: the system tests must run inside the session ensureSecretService starts")
	}
	p := params(filepath.Join("..", "..", "testdata", "script", "system"), sandbox.Options{AccessTokenSize: 6000})
	setup := p.Setup
	p.Setup = func(env *testscript.Env) error {
		if err := setup(env); err != nil {
			return err
		}
		env.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
		env.Setenv("AUMO_TOKEN_STORE", "keychain")
		env.Setenv("AUMO_TOKEN_PASSPHRASE", "")
		return nil
	}
	testscript.Run(t, p)
}
