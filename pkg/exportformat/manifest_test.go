package exportformat_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// fullManifest has every field set, and lists longer than a Summary
// holds.
func fullManifest(t *testing.T, n int) exportformat.Manifest {
	t.Helper()
	at := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	problems := func(reason string) []exportformat.Problem {
		var ps []exportformat.Problem
		for i := range n {
			ps = append(ps, exportformat.Problem{Kind: "attachment", ID: fmt.Sprint(20000 + i), Item: "10001", Reason: reason, Detail: "--no-attachments"})
		}
		return ps
	}
	m := exportformat.Manifest{
		Format: exportformat.Format, Product: "jira",
		Site:  exportformat.Site{CloudID: "c-1", URL: "https://acme.atlassian.net", Name: "acme"},
		Query: "project = ABC", StartedAt: at, FinishedAt: at.Add(time.Hour), Complete: true,
		Counts:  map[string]int64{"issue": 2, "files": 6},
		Skipped: problems(exportformat.ReasonExcluded), Failed: problems("download"),
		Redaction: exportformat.RedactionAccountIDs, Tool: exportformat.Tool{Name: "aumo", Version: "1.0.0"},
		Requests: 12, Points: 340, Stopped: exportformat.StoppedMaxPoints, Options: map[string]string{"fields": "*all"},
		Endpoints:   map[string]exportformat.Cost{"/rest/api/3/search/jql": {Requests: 2, Points: 102}, "/rest/api/3/issue/bulkfetch": {Requests: 10, Points: 238}},
		Incremental: &exportformat.Incremental{Since: at, StartedAt: at, Running: true, Updated: 3, Removed: 1},
	}
	for i := range n {
		m.Incremental.Pending = append(m.Incremental.Pending, fmt.Sprint(10000+i))
		m.Removed = append(m.Removed, exportformat.Removal{Kind: "issue", ID: fmt.Sprint(10000 + i), Key: "ABC-1", Item: "10000", Path: "removed/issues/10000/issue.json", At: at})
	}
	// Every field set: a field added to Manifest must be set here, and so
	// be decoded by the streaming reader too.
	for _, v := range []reflect.Value{reflect.ValueOf(m), reflect.ValueOf(*m.Incremental)} {
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Fatalf("%s.%s is not set", v.Type().Name(), v.Type().Field(i).Name)
			}
		}
	}
	return m
}

// TestManifestReadsWhatJSONWrites reads a manifest of every field, with
// an unknown one besides, as json.Unmarshal does: Manifest whole, Summary
// with its lists cut short and counted.
func TestManifestReadsWhatJSONWrites(t *testing.T) {
	const n = exportformat.SummaryEntries + 20
	m := fullManifest(t, n)
	f := loadFixture(t)
	var err error
	if f.manifest, err = json.MarshalIndent(m, "", "  "); err != nil {
		t.Fatal(err)
	}
	f.editManifest(t, func(m map[string]any) {
		m["future"] = map[string]any{"list": []any{1, []any{2, 3}, map[string]any{"x": nil}}}
	})
	for _, format := range []string{"dir", "tar.gz"} {
		e, err := exportformat.Open(f.write(t, format))
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, m) {
			t.Errorf("%s: Manifest() =\n%+v\nwant\n%+v", format, *got, m)
		}
		s, err := e.Summary()
		if err != nil {
			t.Fatal(err)
		}
		want := m
		want.Skipped, want.Failed, want.Removed = m.Skipped[:exportformat.SummaryEntries], m.Failed[:exportformat.SummaryEntries], m.Removed[:exportformat.SummaryEntries]
		inc := *m.Incremental
		inc.Pending = inc.Pending[:exportformat.SummaryEntries]
		want.Incremental = &inc
		if !reflect.DeepEqual(s.Manifest, want) {
			t.Errorf("%s: Summary() =\n%+v\nwant\n%+v", format, s.Manifest, want)
		}
		if l := (exportformat.ListLengths{Skipped: n, Failed: n, Removed: n, Pending: n}); s.Lengths != l {
			t.Errorf("%s: Lengths = %+v, want %+v", format, s.Lengths, l)
		}
		_ = e.Close()
	}
}

// TestVerifyListsTheFirstFailedItems reports the first failed items of a
// long list, and how many more there are.
func TestVerifyListsTheFirstFailedItems(t *testing.T) {
	const n = exportformat.SummaryEntries + 5
	f := loadFixture(t)
	f.editManifest(t, func(m map[string]any) {
		var failed []any
		for i := range n {
			failed = append(failed, map[string]any{"kind": "attachment", "id": fmt.Sprint(20000 + i), "reason": "download"})
		}
		m["complete"], m["failed"] = false, failed
	})
	r, err := exportformat.Verify(t.Context(), f.write(t, "dir"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("%d item(s) failed", n)}
	for i := range exportformat.SummaryEntries {
		want = append(want, fmt.Sprintf("failed attachment %d: download", 20000+i))
	}
	checkProblems(t, r.Manifest, append(want, "failed: 5 more item(s), which the manifest lists"))
}
