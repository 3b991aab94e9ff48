// Package secret holds values that must never reach a log line, an error
// message or an accidental JSON dump: tokens, authorization codes, client
// secrets and passphrases.
package secret

import (
	"fmt"
	"log/slog"
)

// Redacted is what a secret prints as, wherever it is printed.
const Redacted = "REDACTED"

// String is a secret string. Every way of printing it (fmt verbs, slog,
// encoding/json) yields Redacted; only Reveal returns the value, and code
// that calls Reveal is code that sends the secret where it belongs.
//
// The value sits behind a pointer so that even a String in an unexported
// struct field, which fmt prints without calling its methods, shows as an
// address and not as the secret.
type String struct {
	value *string
}

// New wraps s.
func New(s string) String { return String{value: &s} }

// Reveal returns the secret value.
func (s String) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// IsZero reports whether the secret is empty.
func (s String) IsZero() bool { return s.Reveal() == "" }

// Equal reports whether two secrets hold the same value.
func (s String) Equal(o String) bool { return s.Reveal() == o.Reveal() }

// String implements fmt.Stringer.
func (s String) String() string { return Redacted }

// GoString implements fmt.GoStringer, so %#v hides the value too.
func (s String) GoString() string { return Redacted }

// Format implements fmt.Formatter: every verb prints Redacted.
func (s String) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// LogValue implements slog.LogValuer.
func (s String) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON implements json.Marshaler. Stores serialise secrets through
// their own types with Reveal; a secret that is marshalled by accident
// shows as Redacted.
func (s String) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler for the same reason.
func (s String) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
