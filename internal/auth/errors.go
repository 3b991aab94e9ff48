package auth

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotLoggedIn means the profile holds no grant (never logged in, or
// revoked, possibly by another aumo process meanwhile).
var ErrNotLoggedIn = errors.New("not logged in")

// ErrStateMismatch means the callback's state is not the one aumo sent: the
// redirect did not come from this login (possible cross-site request forgery).
var ErrStateMismatch = errors.New("the callback's state does not match this login; it was not started by this aumo login")

// GrantError means the authorization server no longer honours the grant:
// an expired, revoked or reused refresh token, or a stale authorization
// code (OAuth error invalid_grant). Only a new login helps.
type GrantError struct{ Description string }

func (e *GrantError) Error() string {
	if e.Description == "" {
		return "the authorization server refused the grant (invalid_grant)"
	}
	return fmt.Sprintf("the authorization server refused the grant: %s", e.Description)
}

// ClientError means the authorization server refused aumo's OAuth client:
// an unknown client id or a wrong client secret.
type ClientError struct{ Description string }

func (e *ClientError) Error() string {
	return fmt.Sprintf("the authorization server refused the OAuth client credentials (%s)", e.Description)
}

// CallbackError is an error the authorization server sent to the callback,
// such as access_denied when the user declined.
type CallbackError struct{ Code, Description string }

func (e *CallbackError) Error() string {
	if e.Code == "access_denied" {
		return "authorization was denied in the browser (access_denied)"
	}
	if e.Description != "" {
		return fmt.Sprintf("the authorization server answered %s: %s", e.Code, e.Description)
	}
	return "the authorization server answered " + e.Code
}

// UnreachableError means the authorization server or API could not be
// reached or kept failing after every retry.
type UnreachableError struct {
	What string
	Err  error
}

func (e *UnreachableError) Error() string { return fmt.Sprintf("%s: %v", e.What, e.Err) }

func (e *UnreachableError) Unwrap() error { return e.Err }

// MissingScopesError means the grant lacks scopes a command needs.
type MissingScopesError struct{ Scopes []string }

func (e *MissingScopesError) Error() string {
	return "the grant lacks the scope(s) " + strings.Join(e.Scopes, ", ")
}
