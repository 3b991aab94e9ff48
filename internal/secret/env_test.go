package secret

import (
	"os"
	"testing"
)

// TestTakeEnv takes the secret variables out of the environment, where a
// child process would inherit them, and keeps them for aumo alone.
func TestTakeEnv(t *testing.T) {
	for _, name := range EnvNames {
		t.Setenv(name, "value of "+name)
	}
	t.Setenv("AUMO_SITE", "acme")
	TakeEnv()
	for _, name := range EnvNames {
		if v, ok := os.LookupEnv(name); ok {
			t.Errorf("%s is still in the environment: %q", name, v)
		}
		if v, ok := LookupEnv(name); !ok || v != "value of "+name {
			t.Errorf("LookupEnv(%s) = %q, %v", name, v, ok)
		}
	}
	if os.Getenv("AUMO_SITE") != "acme" {
		t.Error("a variable that is no secret left the environment")
	}
	// Set again later (as a test does), the environment's value wins.
	t.Setenv("AUMO_EXPORT_PASSPHRASE", "")
	if v, ok := LookupEnv("AUMO_EXPORT_PASSPHRASE"); !ok || v != "" {
		t.Errorf("after setting it empty: %q, %v", v, ok)
	}
}
