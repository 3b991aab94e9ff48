package cmdutil

import (
	"context"
	"errors"
	"strings"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

// Exit codes of DESIGN §1.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitPartial     = 3
	ExitAuth        = 4
	ExitUncheckable = 5
	ExitUnfinished  = 6
	ExitInterrupted = 130
)

const keychainHint = "unlock the OS keychain; or, where there is none, keep tokens in an encrypted file: " +
	"set AUMO_TOKEN_STORE=file and AUMO_TOKEN_PASSPHRASE (then log in with them)"

// ExitCode maps an error to its exit code and the next step for the user.
// It is the one place that knows about exit codes.
func ExitCode(err error) (code int, hint string) {
	if err == nil {
		return ExitOK, ""
	}
	var (
		usage     *UsageError
		cfgErr    *config.Error
		grant     *auth.GrantError
		callback  *auth.CallbackError
		client    *auth.ClientError
		portInUse *auth.PortInUseError
		timeout   *auth.TimeoutError
		down      *auth.UnreachableError
		keychain  *tokenstore.UnavailableError
		scopes    *auth.MissingScopesError
		scope     *atlassian.ScopeError
		query     *export.QueryError
		out       *export.OutError
		partial   *export.PartialError
		unmended  *export.UnrepairedError
		damaged   *DamagedError
		unfinish  *UnfinishedError
		unchecked *UncheckableError
		stall     *atlassian.StallError
	)
	// cobra's own argument errors are untyped.
	if msg := err.Error(); strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "accepts ") ||
		strings.HasPrefix(msg, "unknown shorthand") || strings.HasPrefix(msg, "requires ") ||
		strings.HasPrefix(msg, "required flag") {
		return ExitUsage, ""
	}
	switch {
	case errors.Is(err, context.Canceled):
		return ExitInterrupted, ""
	case errors.As(err, &scopes), errors.As(err, &scope):
		return ExitAuth, "add the scope to the OAuth app (or AUMO_SCOPES), then run `aumo login` again"
	case errors.As(err, &query), errors.As(err, &out):
		return ExitUsage, ""
	case errors.As(err, &partial):
		return ExitPartial, "the manifest lists what failed; a directory export retries it when the same command runs again"
	case errors.As(err, &unmended):
		return ExitPartial, "run `aumo verify --repair " + unmended.Out + "` again to retry them"
	case atlassian.IsUnauthorized(err):
		return ExitAuth, "the API refused the grant; run `aumo login`"
	case errors.As(err, &unfinish):
		return ExitUnfinished, "rerun the export command that made it (the manifest names its query) to complete it"
	case errors.As(err, &damaged):
		return ExitError, "" // the report on standard output names every damaged file
	case errors.As(err, &unchecked):
		return ExitUncheckable, ""
	case errors.As(err, &usage), errors.As(err, &cfgErr):
		return ExitUsage, ""
	case errors.Is(err, tokenstore.ErrNoPassphrase):
		return ExitUsage, "set AUMO_TOKEN_PASSPHRASE (environment only), or use the OS keychain (AUMO_TOKEN_STORE=keychain)"
	case errors.Is(err, auth.ErrNotLoggedIn):
		return ExitAuth, "run `aumo login`"
	case errors.As(err, &grant):
		return ExitAuth, "the grant has expired or was revoked; run `aumo login`"
	case errors.As(err, &callback):
		if callback.Code == "access_denied" {
			return ExitAuth, "run `aumo login` again and choose Accept on the consent page"
		}
		return ExitAuth, "run `aumo login` again"
	case errors.As(err, &client):
		return ExitError, "check AUMO_CLIENT_ID and AUMO_CLIENT_SECRET against your OAuth app"
	case errors.Is(err, auth.ErrStateMismatch):
		return ExitError, "run `aumo login` again and finish it in the browser it opens"
	case errors.As(err, &portInUse):
		return ExitError, "finish or stop the other login, or set AUMO_REDIRECT_URL to another callback registered with the OAuth app"
	case errors.As(err, &timeout):
		return ExitError, "run `aumo login` again; on a machine without a browser use `aumo login --no-browser`"
	case errors.As(err, &stall):
		return ExitError, "check the network, then run the same command again; an API that is only slow gets more time with request_timeout (AUMO_REQUEST_TIMEOUT)"
	case errors.As(err, &down):
		return ExitError, "check the network and AUMO_AUTH_URL/AUMO_API_URL, then try again"
	case errors.As(err, &keychain):
		return ExitError, keychainHint
	case errors.Is(err, tokenstore.ErrWrongPassphrase):
		return ExitError, "set AUMO_TOKEN_PASSPHRASE to the passphrase used at login, or run `aumo login` again"
	}
	return ExitError, ""
}
