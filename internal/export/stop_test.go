package export

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

func TestStoppedRunSaysWhyAndResumes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	budget := errors.New("the budget is reached")
	ctx, cancel := context.WithCancelCause(context.Background())
	plan := &fakeSource{n: 30, attachments: 1, size: 1000, stopAfter: 8,
		cancel: func() { cancel(&StopError{Reason: exportformat.StoppedMaxPoints, Err: budget}) }}
	opts := options(out)
	opts.Cost = func() (exportformat.Cost, map[string]exportformat.Cost) {
		return exportformat.Cost{Requests: 12, Points: 99}, map[string]exportformat.Cost{"/rest/api/3/field": {Requests: 12, Points: 99}}
	}
	m, err := run(ctx, t, opts, plan)
	var stop *StopError
	if !errors.As(err, &stop) || !errors.Is(err, budget) || errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: %v, want the StopError (not an interrupt)", err)
	}
	if m == nil || m.Complete || m.Stopped != exportformat.StoppedMaxPoints || m.Points != 99 || m.Counts["issue"] != int64(len(itemLines(t, out))) {
		t.Fatalf("returned manifest %+v, want the export so far (%d issues), stopped for max-points", m, len(itemLines(t, out)))
	}
	var written exportformat.Manifest
	b, _ := os.ReadFile(filepath.Join(out, exportformat.ManifestName))
	if err := json.Unmarshal(b, &written); err != nil || written.Complete || written.Stopped != "max-points" || written.Points != 99 {
		t.Fatalf("the manifest must say complete:false, why the run stopped and what it spent: %s", b)
	}

	// The next run resumes it and ends complete; the reason goes.
	final, err := run(context.Background(), t, options(out), &fakeSource{n: 30, attachments: 1, size: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !final.Complete || final.Stopped != "" || final.Counts["issue"] != 30 || final.Points != 99 {
		t.Errorf("resumed manifest: complete %v, stopped %q, counts %v, points %d (the first run's 99 kept)", final.Complete, final.Stopped, final.Counts, final.Points)
	}
	verify(t, out)
}
