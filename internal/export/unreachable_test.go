package export

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aumo-cli/aumo/internal/atlassian"
)

// An API that cannot be reached fails no single attachment: it stops the
// export, which a rerun resumes, rather than failing every file in turn.
func TestAnUnreachableAPIStopsTheExport(t *testing.T) {
	down := fmt.Errorf("download attachment 10012 of ABC-7: %w",
		&atlassian.UnreachableError{API: "https://api.atlassian.com", Attempts: 6, Err: errors.New("connection refused")})
	if itemError(down) {
		t.Errorf("itemError(%v) = true, want false", down)
	}
	exhausted := &atlassian.RetryExhaustedError{Method: "GET", Path: "/x", Attempts: 6, Err: &atlassian.Error{Status: 502}}
	if !itemError(exhausted) {
		t.Errorf("itemError(%v) = false, want true", exhausted)
	}
}
