//go:build !system

package cli

// ensureSecretService is needed only by the system tests.
func ensureSecretService() {}

// systemTag says this test binary was built with -tags system.
const systemTag = false
