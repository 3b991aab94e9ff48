//go:build !system

package cli

// ensureSecretService is needed only by the system tests.
func ensureSecretService() {}
