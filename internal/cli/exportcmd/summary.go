package exportcmd

import (
	"io"
	"time"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Summary is `aumo export --json`: one object at the end of a run, for
// scripts. Counts are the manifest's; Skipped and Failed count what its
// lists hold.
type Summary struct {
	Path     string `json:"path"`
	Product  string `json:"product"`
	Query    string `json:"query"`
	Complete bool   `json:"complete"`
	// Stopped says why an unfinished run stopped on purpose (the
	// manifest's stopped, such as "max-points").
	Stopped  string           `json:"stopped,omitempty"`
	Counts   map[string]int64 `json:"counts"`
	Skipped  int              `json:"skipped"`
	Failed   int              `json:"failed"`
	Requests int64            `json:"requests"`
	Points   int64            `json:"points"`
	// Endpoints are Requests and Points by API endpoint, as in the
	// manifest.
	Endpoints       map[string]exportformat.Cost `json:"endpoints,omitempty"`
	Bytes           int64                        `json:"bytes"`
	DurationSeconds float64                      `json:"durationSeconds"`
	ExitCode        int                          `json:"exitCode"`
	Error           string                       `json:"error,omitempty"`
}

// summaryTo is where --json's summary goes: standard output, unless the
// tar stream is there.
func summaryTo(f *cmdutil.Factory, opts *Options) io.Writer {
	switch {
	case !opts.JSON:
		return nil
	case opts.Out == "-":
		return f.IO.ErrOut
	}
	return f.IO.Out
}

func (r *Record) jsonSummary(runErr error, exitCode int) Summary {
	s := Summary{
		Path: r.opts.Out, Product: r.opts.Product, Query: r.opts.Query, Counts: map[string]int64{},
		DurationSeconds: time.Since(r.started).Round(time.Millisecond).Seconds(), ExitCode: exitCode,
	}
	if m := r.manifest; m != nil {
		s.Complete, s.Stopped, s.Skipped, s.Failed = m.Complete, m.Stopped, len(m.Skipped), len(m.Failed)
		s.Requests, s.Points, s.Endpoints, s.Bytes = m.Requests, m.Points, m.Endpoints, m.Counts["bytes"]
		for k, v := range m.Counts {
			s.Counts[k] = v
		}
	}
	if runErr != nil {
		s.Error = runErr.Error()
	}
	return s
}

// earlySummary is --json's summary of a run that stopped before its
// export began (the configuration, the lock, the login, the site): no
// counts, and the error that stopped it.
func earlySummary(opts *Options, product, query string, err error) {
	w := summaryTo(opts.Factory, opts)
	if w == nil || err == nil {
		return
	}
	code, _ := cmdutil.ExitCode(err)
	_ = cmdutil.WriteJSON(w, Summary{Path: opts.Out, Product: product, Query: query, Counts: map[string]int64{}, ExitCode: code, Error: err.Error()})
}
