package jira

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/export"
)

// samplePage is how many issues --estimate looks at: one page of the
// search with the fields that drive the cost.
const samplePage = 100

// sampled is what one issue of the sample says of its cost: the lengths
// of its lists, and its attachments' sizes.
type sampled struct {
	Fields struct {
		Comment    sampledList `json:"comment"`
		Worklog    sampledList `json:"worklog"`
		Attachment []struct {
			Size int64 `json:"size"`
		} `json:"attachment"`
	} `json:"fields"`
	Changelog sampledList `json:"changelog"`
}

// sampledList is an embedded list as the search returns it: its total
// is all the estimate reads.
type sampledList struct {
	Total int `json:"total"`
}

// Estimate tells what exporting the query would cost, from three
// requests: Jira's count of the issues, the field list, and one page of
// the search with the fields that drive the cost (comments, worklogs,
// changes, attachments), whose cost is scaled to the count.
func (s *Source) Estimate(ctx context.Context, o export.EstimateOptions) (export.Estimate, error) {
	count, err := s.count(ctx, s.jql)
	if err != nil || count == 0 {
		return export.Estimate{}, err
	}
	var raw json.RawMessage
	if err := s.opts.Client.GetJSON(ctx, api+"/field", nil, &raw); err != nil {
		return export.Estimate{}, fmt.Errorf("fetch the field list: %w", err)
	}
	fields, err := ParseFields(raw)
	if err != nil {
		return export.Estimate{}, err
	}
	s.opts.Client.Charge(api+"/field", len(fields))
	body := map[string]any{"jql": s.jql, "fields": []string{"comment", "worklog", "attachment"}, "expand": "changelog", "maxResults": samplePage}
	var page struct {
		Issues []sampled `json:"issues"`
	}
	err = s.opts.Client.PostJSON(ctx, api+"/search/jql", body, &page, atlassian.Idempotent)
	if qe := queryError(err); qe != nil {
		return export.Estimate{}, qe
	}
	if err != nil {
		return export.Estimate{}, fmt.Errorf("sample the issues: %w", err)
	}
	s.opts.Client.Charge(api+"/search/jql", len(page.Issues))
	return export.Scaled(count, len(page.Issues), fixedCost(count, len(fields)), sampleCost(page.Issues, o)), nil
}

// What bulkfetch embeds of an issue's lists; the rest comes from the
// lists' own endpoints, in pages of these sizes.
const (
	embeddedComments = 20
	embeddedWorklogs = 20
	commentPage      = 100
	worklogPage      = 5000
)

// fixedCost is what an export of count issues costs besides its issues'
// own: the count, the field list, the ids-only listing (a point an id),
// and the bulk requests, of issues and of their changes, per hundred.
func fixedCost(count int64, fields int) export.Estimate {
	batches := ceilDiv(count, bulkSize)
	requests := 2 + ceilDiv(count, idPage) + 2*batches
	return export.Estimate{Requests: requests, Points: requests + int64(fields) + count}
}

// sampleCost is what the sampled issues cost of their own, as the export
// fetches them: each issue with its attachments' metadata and the first
// comments and worklogs (bulkfetch), every change (the changelog's bulk
// endpoint), the rest of long comment and worklog lists from their
// endpoints, and each attachment downloaded.
func sampleCost(issues []sampled, o export.EstimateOptions) export.Estimate {
	var e export.Estimate
	for _, is := range issues {
		comments, worklogs := is.Fields.Comment.Total, is.Fields.Worklog.Total
		e.Points += int64(1 + len(is.Fields.Attachment) + min(comments, embeddedComments) + min(worklogs, embeddedWorklogs) + is.Changelog.Total)
		for _, rest := range []struct{ n, page int }{{comments - embeddedComments, commentPage}, {worklogs - embeddedWorklogs, worklogPage}} {
			if rest.n > 0 {
				pages := ceilDiv(int64(rest.n), int64(rest.page))
				e.Requests += pages
				e.Points += pages + int64(rest.n)
			}
		}
		for _, a := range is.Fields.Attachment {
			if o.Downloads(a.Size) {
				e.Requests++
				e.Points += 2
				e.Bytes += a.Size
			}
		}
	}
	return e
}

func ceilDiv(n, d int64) int64 { return (n + d - 1) / d }
