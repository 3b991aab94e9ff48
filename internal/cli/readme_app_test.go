package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/config"
)

// TestReadmeRegistersAnAppAumoCanUse checks the README's steps for an
// OAuth app of one's own against what aumo asks for: every scope, and the
// callback it listens on.
func TestReadmeRegistersAnAppAumoCanUse(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "### An OAuth app of your own")
	if !ok {
		t.Fatal("README.md has no section on an OAuth app of one's own")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, want := range append([]string{config.DefaultRedirectURL, "AUMO_CLIENT_ID", "AUMO_CLIENT_SECRET"}, config.DefaultScopes...) {
		if !strings.Contains(section, want) {
			t.Errorf("the README's app section does not name %s", want)
		}
	}
}
