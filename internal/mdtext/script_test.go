package mdtext

import "testing"

func TestScriptURL(t *testing.T) {
	for url, want := range map[string]bool{
		"javascript:alert(1)":            true,
		"JavaScript:alert(1)":            true,
		" \x01javascript:alert(1)":       true,
		"java\tscr\nipt:alert(1)":        true,
		"vbscript:msgbox(1)":             true,
		"javascript&#58;alert(1)":        true,
		"&#106;avascript:alert(1)":       true,
		"https://example.com/javascript": false,
		"/javascript:x":                  false,
		"mailto:a@example.com":           false,
		"javascript":                     false,
		"":                               false,
	} {
		if got := ScriptURL(url); got != want {
			t.Errorf("ScriptURL(%q) = %v, want %v", url, got, want)
		}
	}
}
