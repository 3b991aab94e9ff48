// Package buildinfo holds what the release build injects with -ldflags -X:
// the version, commit and date, and the default OAuth app's credentials
// (kept out of the source tree; from the release environment).
package buildinfo

// Set by -ldflags "-X github.com/aumo-cli/aumo/internal/buildinfo.Version=…".
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
	// ClientID and ClientSecret are the OAuth app aumo uses when the user
	// brings none (AUMO_CLIENT_ID, AUMO_CLIENT_SECRET).
	ClientID     = ""
	ClientSecret = ""
)
