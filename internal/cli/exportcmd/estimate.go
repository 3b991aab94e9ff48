package exportcmd

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/bytesize"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/duration"
	"github.com/aumo-cli/aumo/internal/export"
)

// estimate is `aumo export PRODUCT --estimate`: what the export would
// cost, from a few requests, with nothing written.
func estimate(ctx context.Context, opts *Options, p product) error {
	f := opts.Factory
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	window := 0
	if !opts.SinceTime.IsZero() {
		window = sinceMinutes(opts.SinceTime, time.Now())
	}
	ts, site, err := signIn(ctx, f, cfg, p.scopes())
	if err != nil {
		return err
	}
	// The estimate's own few requests draw on no budget.
	unbounded := *opts
	unbounded.MaxPoints = 0
	client, _, err := newClient(&unbounded, session{cfg: cfg, tokens: ts, site: site}, p.product(), func(error) {})
	if err != nil {
		return err
	}
	eo := export.EstimateOptions{NoAttachments: opts.NoAttachments, MaxAttachmentSize: opts.MaxAttachmentBytes, Quota: export.DefaultQuota}
	if opts.PointsPerHour > 0 {
		eo.Quota = opts.PointsPerHour
	}
	e, err := p.estimate(ctx, client, window, eo)
	if err != nil {
		return err
	}
	e = e.Timed(eo.Quota)
	if opts.JSON {
		return cmdutil.WriteJSON(f.IO.Out, e)
	}
	printEstimate(f.IO.Out, p.product(), e, eo.Quota, client.Stats().Requests)
	return nil
}

// printEstimate says what an export would cost, and what the estimate
// itself cost.
func printEstimate(w io.Writer, p atlassian.Product, e export.Estimate, quota, spent int64) {
	items := "issues"
	if p == atlassian.Confluence {
		items = "pages and blog posts"
	}
	if e.Items == 0 {
		fmt.Fprintf(w, "Nothing matched the query: its export would be empty (from %s request(s); nothing was written).\n", thousands(spent))
		return
	}
	fmt.Fprintf(w, "Estimated cost of the export: %s %s\n", thousands(e.Items), items)
	fmt.Fprintf(w, "  requests:           about %s\n", thousands(e.Requests))
	fmt.Fprintf(w, "  rate-limit points:  about %s (%s of the %s an hour it may spend)\n", thousands(e.Points), share(e.Points, quota), thousands(quota))
	fmt.Fprintf(w, "  attachments:        about %s\n", bytesize.Format(e.Bytes))
	fmt.Fprintf(w, "  time:               about %s\n", duration.Words(time.Duration(e.Seconds)*time.Second))
	fmt.Fprintf(w, "From %s request(s) and a sample of %d %s; nothing was written.\n", thousands(spent), e.Sampled, items)
}

// share says part of whole as a percentage people read at a glance.
func share(part, whole int64) string {
	pct := float64(part) * 100 / float64(whole)
	if pct < 1 && part > 0 {
		return "under 1%"
	}
	return strconv.FormatFloat(pct, 'f', 0, 64) + "%"
}

// thousands writes n with commas between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := ""
	if n < 0 {
		neg, s = "-", s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return neg + s
}
