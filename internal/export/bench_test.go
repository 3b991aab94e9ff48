package export

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// fieldsSource yields Jira's field list only, as Jira's source does when no issue
// changed.
type fieldsSource []byte

func (f fieldsSource) Items(_ context.Context, _ func(kind, id string) bool, _ Problems, emit func(*Item) error) error {
	return emit(&Item{Kind: exportformat.KindFields, ID: "fields", Path: exportformat.FieldsName, JSON: f})
}

// BenchmarkUpdateNothingChanged measures what an incremental run over a
// large directory export costs the machine when nothing changed: the
// export's index (AUMO_BENCH_ITEMS issues, default 100,000, each with its
// Markdown and two attachments: four lines) is read, the listing compared
// and nothing rewritten. The files themselves are not made (nothing reads
// them). It reports the peak Go heap:
//
//	go test -run '^$' -bench UpdateNothingChanged -benchtime 1x ./internal/export
func BenchmarkUpdateNothingChanged(b *testing.B) {
	items := 100_000
	if v := os.Getenv("AUMO_BENCH_ITEMS"); v != "" {
		if _, err := fmt.Sscan(v, &items); err != nil {
			b.Fatal(err)
		}
	}
	out := filepath.Join(b.TempDir(), "export")
	if err := os.Mkdir(out, 0o700); err != nil {
		b.Fatal(err)
	}
	opts := Options{
		Out: out, Product: "jira", Query: "project = T", Incremental: true,
		Site:      exportformat.Site{CloudID: "c1", URL: "https://acme.atlassian.net", Name: "acme"},
		Redaction: exportformat.RedactionAccountIDs, Tool: exportformat.Tool{Name: "aumo", Version: "bench"},
	}
	idx, err := os.Create(filepath.Join(out, exportformat.IndexName))
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(idx)
	enc := json.NewEncoder(w)
	// fields.json is real: Jira's source writes it each run, and the
	// update keeps it when it has not changed.
	fields := []byte(`[{"id":"summary","name":"Summary"}]`)
	if err := os.WriteFile(filepath.Join(out, exportformat.FieldsName), fields, 0o600); err != nil {
		b.Fatal(err)
	}
	fieldsSum := sha256.Sum256(fields)
	if err := enc.Encode(exportformat.IndexLine{Path: exportformat.FieldsName, Kind: exportformat.KindFields, ID: "fields", Item: "fields",
		Size: int64(len(fields)), SHA256: hex.EncodeToString(fieldsSum[:])}); err != nil {
		b.Fatal(err)
	}
	listed := map[string]bool{}
	updated := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	sum := strings.Repeat("ab", 32)
	for i := range items {
		id := fmt.Sprint(10000 + i)
		listed[id] = true
		dir := "issues/" + id
		for _, l := range []exportformat.IndexLine{
			{Path: dir + "/attachments/" + id + "1-report.pdf", Kind: exportformat.KindAttachment, ID: id + "1", Key: "T-" + id, Item: id, Size: 25_000, SHA256: sum, Updated: updated, MediaID: "416f3a8f-adfd-49d7-a040-7a407d5e5deb"},
			{Path: dir + "/attachments/" + id + "2-notes.txt", Kind: exportformat.KindAttachment, ID: id + "2", Key: "T-" + id, Item: id, Size: 2_000, SHA256: sum, Updated: updated, MediaID: "416f3a8f-adfd-49d7-a040-7a407d5e5dec"},
			{Path: dir + "/issue.md", Kind: exportformat.KindMarkdown, ID: id, Key: "T-" + id, Item: id, Size: 3_000, SHA256: sum, Updated: updated},
			{Path: dir + "/issue.json", Kind: exportformat.KindIssue, ID: id, Key: "T-" + id, Item: id, Size: 9_000, SHA256: sum, Updated: updated},
		} {
			if err := enc.Encode(l); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		b.Fatal(err)
	}
	m := exportformat.Manifest{Format: exportformat.Format, Product: opts.Product, Site: opts.Site, Query: opts.Query,
		StartedAt: time.Now().Add(-24 * time.Hour), Complete: true, Counts: map[string]int64{}, Redaction: opts.Redaction,
		Options: choices(opts)}
	raw, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, exportformat.ManifestName), raw, 0o600); err != nil {
		b.Fatal(err)
	}
	debug.SetMemoryLimit(MemoryLimit)
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peak.Load() {
					peak.Store(ms.HeapAlloc)
				}
			}
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := Prepare(opts)
		if err != nil {
			b.Fatal(err)
		}
		u, err := p.PlanUpdate(p.Window(time.Now()), Listing{IDs: listed, Count: int64(len(listed))})
		if err != nil || len(u.Extra) != 0 {
			b.Fatalf("plan the update: %v, extra %d", err, len(u.Extra))
		}
		m, err := p.Run(context.Background(), fieldsSource(fields))
		if err != nil {
			b.Fatal(err)
		}
		if m.Counts[exportformat.KindIssue] != int64(items) || m.Incremental.Removed != 0 || m.Incremental.Updated != 0 {
			b.Fatalf("counts %v, incremental %+v", m.Counts, m.Incremental)
		}
	}
	b.StopTimer()
	close(stop)
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
