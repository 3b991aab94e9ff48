package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		err  error
		code int
		hint string
	}{
		{Usagef("bad flag"), ExitUsage, ""},
		{&config.Error{Msg: "bad config"}, ExitUsage, ""},
		{fmt.Errorf("sites: %w", auth.ErrNotLoggedIn), ExitAuth, "aumo login"},
		{fmt.Errorf("refresh: %w", &auth.GrantError{Description: "Unknown or invalid refresh token."}), ExitAuth, "aumo login"},
		{&auth.CallbackError{Code: "access_denied"}, ExitAuth, "Accept"},
		{&auth.ClientError{Description: "Unauthorized"}, ExitError, "AUMO_CLIENT_SECRET"},
		{auth.ErrStateMismatch, ExitError, "aumo login"},
		{&auth.PortInUseError{Addr: "127.0.0.1:47613"}, ExitError, "AUMO_REDIRECT_URL"},
		{&auth.TimeoutError{}, ExitError, "--no-browser"},
		{&auth.UnreachableError{What: "x", Err: errors.New("refused")}, ExitError, "network"},
		{&tokenstore.UnavailableError{Op: "read", Err: errors.New("no bus")}, ExitError, "AUMO_TOKEN_STORE=file"},
		{tokenstore.ErrWrongPassphrase, ExitError, "AUMO_TOKEN_PASSPHRASE"},
		{tokenstore.ErrNoPassphrase, ExitUsage, "AUMO_TOKEN_PASSPHRASE"},
		{fmt.Errorf("download: %w", context.Canceled), ExitInterrupted, ""},
		{&atlassian.RetryExhaustedError{Err: &atlassian.StallError{What: "the API at https://api.atlassian.com"}}, ExitError, "AUMO_REQUEST_TIMEOUT"},
		{fmt.Errorf("search Confluence: %w", &atlassian.UnreachableError{API: "https://api.atlassian.com", Err: errors.New("connection refused")}),
			ExitError, "check the network and AUMO_API_URL, then try again"},
		{&export.UnrepairedError{Out: "abc"}, ExitPartial, "aumo verify --repair abc"},
		{&export.UnrepairableError{Reason: "it is unfinished"}, ExitError, ""},
		{&UnfinishedError{Path: "abc"}, ExitUnfinished, "rerun the export command"},
		{errors.New("something else"), ExitError, ""},
	}
	for _, tc := range cases {
		code, hint := ExitCode(tc.err)
		if code != tc.code || !strings.Contains(hint, tc.hint) {
			t.Errorf("ExitCode(%v) = %d, %q; want %d and a hint with %q", tc.err, code, hint, tc.code, tc.hint)
		}
	}
}
