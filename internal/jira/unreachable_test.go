package jira

import (
	"errors"
	"testing"

	"github.com/aumo-cli/aumo/internal/atlassian"
)

// An API that cannot be reached says nothing about the issue asked for:
// the export stops, rather than marking the issue failed.
func TestUnreachableIsNoAnswer(t *testing.T) {
	down := &atlassian.UnreachableError{API: "https://api.atlassian.com", Attempts: 6, Err: errors.New("connection refused")}
	if answered(down) {
		t.Error("answered(an unreachable API) = true")
	}
	if !answered(&atlassian.RetryExhaustedError{Attempts: 6, Err: &atlassian.Error{Status: 502}}) {
		t.Error("answered(failures on every try) = false")
	}
}
