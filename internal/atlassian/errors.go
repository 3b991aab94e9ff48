package atlassian

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Error is an answer from Jira, Confluence or the media host other than
// success.
type Error struct {
	Status int
	Method string
	// Media is set when the media host answered, not the gateway: a 401,
	// 403 or 404 there is a signed link gone stale, not a missing item.
	Media bool
	// Path is the call's path under the gateway base (for a media hop,
	// the URL), never with its query: queries carry JQL, CQL and signed
	// media tokens.
	Path string
	// Message comes from the error body (errorMessages, errors, message,
	// title/detail); empty when the body has none that is readable.
	Message string
}

// Error returns "METHOD path: HTTP status: message".
func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Method, e.Path, e.detail())
}

func (e *Error) detail() string {
	if e.Message == "" {
		return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
}

// IsNotFound reports whether err is a 404: the item is missing or the
// user may not see it (Atlassian does not tell the two apart), or the
// feature is off (Jira answers 404 when attachments or time tracking are
// disabled).
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsForbidden reports whether err is a 403.
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

// IsUnauthorized reports whether err is a 401 that a fresh access token
// did not cure: the grant no longer reaches this site.
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

func hasStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// ScopeError is a 401 "scope does not match": the grant lacks a scope the
// call needs. A refresh does not help; a login with the scope does.
type ScopeError struct {
	Method, Path string
	// Scope is the scope the call needs, when the caller named it with
	// the Scope option.
	Scope   string
	Message string
}

// Error names the call and the missing scope when known.
func (e *ScopeError) Error() string {
	if e.Scope != "" {
		return fmt.Sprintf("%s %s: the grant lacks the scope %s", e.Method, e.Path, e.Scope)
	}
	return fmt.Sprintf("%s %s: the grant lacks a scope this call needs (%s)", e.Method, e.Path, e.Message)
}

// RetryExhaustedError means a call kept failing in a retryable way (429,
// 5xx, a broken connection or body; for a download also a media host
// refusing the link, or content the caller found bad: ErrBadContent) on
// every attempt. Err is the last failure, an *Error when the server
// answered.
type RetryExhaustedError struct {
	Method, Path string
	Attempts     int
	Err          error
}

// Error names the call, the attempts and the last failure.
func (e *RetryExhaustedError) Error() string {
	last := e.Err.Error()
	var ae *Error
	if errors.As(e.Err, &ae) {
		last = ae.detail()
	}
	return fmt.Sprintf("%s %s: gave up after %d attempts: %s", e.Method, e.Path, e.Attempts, last)
}

// Unwrap returns the last failure, so IsNotFound and errors.As see it.
func (e *RetryExhaustedError) Unwrap() error { return e.Err }

// scopeMismatch recognises the gateway's 401 for a token without the
// scope, e.g. {"code":401,"message":"Unauthorized; scope does not match"}.
func scopeMismatch(body []byte) bool {
	return strings.Contains(strings.ToLower(string(body)), "scope does not match")
}

// errorMessage extracts the message of an error body. The products
// disagree on its shape:
//
//	Jira:            {"errorMessages":["…"],"errors":{"field":"…"}}
//	Confluence v1:   {"statusCode":404,"message":"…"}
//	Confluence v2:   {"errors":[{"status":404,"code":"…","title":"…","detail":"…"}]}
//	gateway:         {"code":401,"message":"…"}
//
// Anything else (a proxy's HTML page) yields "", so no page markup ends
// up in an error message.
func errorMessage(body []byte) string {
	var b struct {
		ErrorMessages []string        `json:"errorMessages"`
		Errors        json.RawMessage `json:"errors"`
		Message       string          `json:"message"`
	}
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	msgs := append([]string(nil), b.ErrorMessages...)
	var fields map[string]string
	var list []struct{ Code, Title, Detail string }
	switch {
	case json.Unmarshal(b.Errors, &fields) == nil:
		keys := make([]string, 0, len(fields))
		for k := range fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			msgs = append(msgs, k+": "+fields[k])
		}
	case json.Unmarshal(b.Errors, &list) == nil:
		for _, e := range list {
			m := e.Title
			if e.Detail != "" {
				m = strings.TrimPrefix(m+": "+e.Detail, ": ")
			}
			if m == "" {
				m = e.Code
			}
			if m != "" {
				msgs = append(msgs, m)
			}
		}
	}
	if b.Message != "" {
		msgs = append(msgs, b.Message)
	}
	return strings.Join(msgs, "; ")
}
