package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestStringNeverPrints(t *testing.T) {
	s := New("eyJhbGciOiJIUzI1NiJ9.token-value")
	type holder struct {
		Token  String
		Ptr    *String
		Nested map[string]String
		hidden String
	}
	h := holder{Token: s, Ptr: &s, Nested: map[string]String{"a": s}, hidden: s}

	outputs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %s %q %x %+v %#v %d", s, s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", h, h, h), s.String(),
	}
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(js))

	var buf bytes.Buffer
	for _, handler := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		l := slog.New(handler)
		l.Info("refresh", "token", s, "holder", h, slog.Any("ptr", &s))
	}
	outputs = append(outputs, buf.String())

	for _, out := range outputs {
		if strings.Contains(out, "token-value") || strings.Contains(out, "eyJ") {
			t.Errorf("secret leaked: %s", out)
		}
		if !strings.Contains(out, Redacted) {
			t.Errorf("no %s marker in %q", Redacted, out)
		}
	}
	if s.Reveal() != "eyJhbGciOiJIUzI1NiJ9.token-value" {
		t.Fatal("Reveal lost the value")
	}
}
