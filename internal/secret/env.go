package secret

import (
	"os"
	"sync"
)

// EnvNames are the environment variables that hold secrets: the token
// store's passphrase, the OAuth app's secret, the encrypted exports'
// passphrase.
var EnvNames = []string{"AUMO_TOKEN_PASSPHRASE", "AUMO_CLIENT_SECRET", "AUMO_EXPORT_PASSPHRASE"}

var (
	envMu    sync.Mutex
	envTaken = map[string]string{}
)

// TakeEnv moves the secret variables (EnvNames) out of the environment
// into memory, where LookupEnv finds them: no child process (the browser,
// a D-Bus helper) inherits them. aumo calls it first thing.
func TakeEnv() {
	for _, name := range EnvNames {
		LookupEnv(name)
	}
}

// LookupEnv returns a secret variable: as the environment holds it now,
// or else as TakeEnv took it. Either way it leaves the environment.
func LookupEnv(name string) (string, bool) {
	envMu.Lock()
	defer envMu.Unlock()
	if v, ok := os.LookupEnv(name); ok {
		_ = os.Unsetenv(name)
		envTaken[name] = v
	}
	v, ok := envTaken[name]
	return v, ok
}
