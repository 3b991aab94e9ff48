package exportcmd

import (
	"strings"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// An export of a query that matched nothing says so, rather than
// "Exported nothing" and the size of its manifest.
func TestSummaryOfAnEmptyExport(t *testing.T) {
	for out, where := range map[string]string{"empty": "the export in empty", "-": "the export to standard output"} {
		var b strings.Builder
		m := &exportformat.Manifest{Complete: true, Counts: map[string]int64{"fields": 1, "bytes": 4900}}
		summary(&b, out, m, 2*time.Second)
		want := "Nothing matched the query; " + where + " is complete and empty.\n"
		if b.String() != want {
			t.Errorf("summary = %q, want %q", b.String(), want)
		}
	}
	var since strings.Builder
	summary(&since, "week.tar", &exportformat.Manifest{Complete: true, Counts: map[string]int64{}, Options: map[string]string{"since": "7d"}}, time.Second)
	if want := "Nothing matched the query (--since 7d); the export in week.tar is complete and empty.\n"; since.String() != want {
		t.Errorf("summary = %q, want %q", since.String(), want)
	}
	// Items skipped by design matched the query: that is no empty match.
	var b strings.Builder
	m := &exportformat.Manifest{Complete: true, Counts: map[string]int64{"bytes": 900},
		Skipped: []exportformat.Problem{{Kind: "comment", ID: "1", Reason: "unsupported-type"}}}
	summary(&b, "wiki", m, time.Second)
	if strings.Contains(b.String(), "Nothing matched") || !strings.Contains(b.String(), "Skipped by design: 1") {
		t.Errorf("summary = %q", b.String())
	}
}
