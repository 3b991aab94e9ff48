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
// It is the one place that knows about exit codes. The classes are asked
// in turn, and the first that knows the error answers.
func ExitCode(err error) (code int, hint string) {
	if err == nil {
		return ExitOK, ""
	}
	if cobraUsage(err) {
		return ExitUsage, ""
	}
	for _, class := range []func(error) (int, string, bool){runExit, signInExit, reachExit} {
		if code, hint, ok := class(err); ok {
			return code, hint
		}
	}
	return ExitError, ""
}

// cobraUsage reports cobra's own argument errors, which are untyped.
func cobraUsage(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "accepts ", "unknown shorthand", "requires ", "required flag"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// runExit knows how a run ended: interrupted, refused for its input, or
// with items or files that failed.
func runExit(err error) (int, string, bool) {
	var (
		usage     *UsageError
		cfgErr    *config.Error
		scopes    *auth.MissingScopesError
		scope     *atlassian.ScopeError
		query     *export.QueryError
		out       *export.OutError
		partial   *export.PartialError
		unmended  *export.UnrepairedError
		damaged   *DamagedError
		unfinish  *UnfinishedError
		unchecked *UncheckableError
		budget    *atlassian.BudgetError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return ExitInterrupted, "", true
	case errors.As(err, &scopes), errors.As(err, &scope):
		return ExitAuth, "add the scope to the OAuth app (or AUMO_SCOPES), then run `aumo login` again", true
	case errors.As(err, &query), errors.As(err, &out):
		return ExitUsage, "", true
	case errors.As(err, &partial):
		return ExitPartial, "the manifest lists what failed; a directory export retries it when the same command runs again", true
	case errors.As(err, &unmended):
		return ExitPartial, "run `aumo verify --repair " + unmended.Out + "` again to retry them", true
	case atlassian.IsUnauthorized(err):
		return ExitAuth, "the API refused the grant; run `aumo login`", true
	case errors.As(err, &budget):
		return ExitUnfinished, "the export is unfinished: run the same command again to continue it (with a higher --max-points, or none, to go further in one run)", true
	case errors.As(err, &unfinish):
		return ExitUnfinished, "rerun the export command that made it (the manifest names its query) to complete it", true
	case errors.As(err, &damaged):
		return ExitError, "", true // the report on standard output names every damaged file
	case errors.As(err, &unchecked):
		return ExitUncheckable, "", true
	case errors.As(err, &usage), errors.As(err, &cfgErr):
		return ExitUsage, "", true
	}
	return 0, "", false
}

// signInExit knows the errors of logging in and of the grant.
func signInExit(err error) (int, string, bool) {
	var (
		grant     *auth.GrantError
		callback  *auth.CallbackError
		client    *auth.ClientError
		portInUse *auth.PortInUseError
		timeout   *auth.TimeoutError
	)
	switch {
	case errors.Is(err, tokenstore.ErrNoPassphrase):
		return ExitUsage, "set AUMO_TOKEN_PASSPHRASE (environment only), or use the OS keychain (AUMO_TOKEN_STORE=keychain)", true
	case errors.Is(err, auth.ErrNotLoggedIn):
		return ExitAuth, "run `aumo login`", true
	case errors.As(err, &grant):
		return ExitAuth, "the grant has expired or was revoked; run `aumo login`", true
	case errors.As(err, &callback) && callback.Code == "access_denied":
		return ExitAuth, "run `aumo login` again and choose Accept on the consent page", true
	case errors.As(err, &callback):
		return ExitAuth, "run `aumo login` again", true
	case errors.As(err, &client):
		return ExitError, "check AUMO_CLIENT_ID and AUMO_CLIENT_SECRET against your OAuth app", true
	case errors.Is(err, auth.ErrStateMismatch):
		return ExitError, "run `aumo login` again and finish it in the browser it opens", true
	case errors.As(err, &portInUse):
		return ExitError, "finish or stop the other login, or set AUMO_REDIRECT_URL to another callback registered with the OAuth app", true
	case errors.As(err, &timeout):
		return ExitError, "run `aumo login` again; on a machine without a browser use `aumo login --no-browser`", true
	}
	return 0, "", false
}

// reachExit knows the errors of what aumo could not reach: the API, the
// authorization server, the keychain.
func reachExit(err error) (int, string, bool) {
	var (
		stall    *atlassian.StallError
		apiDown  *atlassian.UnreachableError
		down     *auth.UnreachableError
		keychain *tokenstore.UnavailableError
	)
	switch {
	case errors.As(err, &stall):
		return ExitError, "check the network, then run the same command again; an API that is only slow gets more time with request_timeout (AUMO_REQUEST_TIMEOUT)", true
	case errors.As(err, &apiDown):
		return ExitError, "check the network and AUMO_API_URL, then try again", true
	case errors.As(err, &down):
		return ExitError, "check the network and AUMO_AUTH_URL/AUMO_API_URL, then try again", true
	case errors.As(err, &keychain):
		return ExitError, keychainHint, true
	case errors.Is(err, tokenstore.ErrWrongPassphrase):
		return ExitError, "set AUMO_TOKEN_PASSPHRASE to the passphrase used at login, or run `aumo login` again", true
	}
	return 0, "", false
}
