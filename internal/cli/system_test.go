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

// sessionMarker tells a re-executed test binary that it runs inside the
// D-Bus session that ensureSecretService started.
const sessionMarker = "AUMO_SYSTEM_TEST_SESSION"

// ensureSecretService re-executes the test binary inside a private D-Bus
// session with GNOME Keyring unlocked, so the system tests use a real
// Secret Service and never the developer's own keyring. It fails loudly
// when a part is missing: these tests never skip.
func ensureSecretService() {
	switch filepath.Base(os.Args[0]) {
	case "aumo", "fetch", "fakebrowser":
		return // a command of a script, already inside the session
	}
	if os.Getenv(sessionMarker) != "" {
		return
	}
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon", "secret-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			fmt.Fprintf(os.Stderr, "system tests need %s (apt-get install dbus gnome-keyring libsecret-tools): %v\n", tool, err)
			os.Exit(1)
		}
	}
	script := `printf 'system-test-keyring' | gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 1; exec "$0" "$@"`
	cmd := exec.Command("dbus-run-session", append([]string{"--", "sh", "-c", script}, os.Args...)...)
	cmd.Env = append(os.Environ(), sessionMarker+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
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

// TestSystemKeychain runs the stories of testdata/script/system against the
// real Secret Service, with tokens large enough to be split across items.
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
