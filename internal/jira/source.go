// Package jira plans a Jira Cloud export: it finds the issues a JQL query
// selects and fetches them completely, with as few requests and rate-limit
// points as the API allows — ids from /search/jql in pages of thousands,
// details from /issue/bulkfetch a hundred at a time, and the dedicated
// comment, worklog and changelog endpoints only where the embedded lists
// are truncated.
package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aumo-cli/aumo/internal/atlassian"
)

const (
	api = "/rest/api/3"
	// idPage is the page size of the ids-only search (the API's cap).
	idPage = 5000
	// bulkSize is /issue/bulkfetch's limit.
	bulkSize = 100
)

// QueryError is Jira refusing the JQL (exit 2, with Jira's own message).
type QueryError struct{ Messages []string }

func (e *QueryError) Error() string {
	msg := strings.Join(e.Messages, "; ")
	if strings.Contains(strings.ToLower(msg), "unbounded") {
		msg += ` (add a restriction such as "project = KEY" or "updated >= -30d")`
	}
	return "Jira refused the query: " + msg
}

// Options configure a plan.
type Options struct {
	Client *atlassian.Client
	JQL    string
	// Fields are the issue fields to fetch ("*all" by default).
	Fields []string
	// KeepAccountIDs turns the privacy redaction off.
	KeepAccountIDs bool
	// Concurrency is the number of bulk fetches in flight.
	Concurrency int
	// ExtraIDs are issues to export besides those the JQL selects (an
	// incremental run's issues that newly match the query unchanged).
	ExtraIDs []string
}

// Issue is one exported issue: its JSON made complete and redacted, and its
// attachments.
type Issue struct {
	ID          string
	Key         string
	Updated     time.Time
	JSON        []byte
	Attachments []Attachment
}

// Attachment is an issue's attachment as listed in fields.attachment.
type Attachment struct {
	ID       string
	Filename string
	Size     int64
	Created  time.Time
}

// ContentPath is where the attachment's bytes are fetched (a 303 to the
// media host).
func (a Attachment) ContentPath() string { return api + "/attachment/content/" + a.ID }

// Problem is an issue the plan leaves out (Reason "deleted", "forbidden")
// or gives up on (Failed).
type Problem struct {
	ID, Reason, Detail string
	Failed             bool
}

// Plan finds and fetches the issues of a query.
type Plan struct {
	opts     Options
	redactor *redactor
	listed   atomic.Int64
}

// Listed is how many issues the search listed (after Issues returns).
func (p *Plan) Listed() int64 { return p.listed.Load() }

// New returns a plan.
func New(opts Options) *Plan {
	if len(opts.Fields) == 0 {
		opts.Fields = []string{"*all"}
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	return &Plan{opts: opts}
}

// Check validates the query with Jira before anything is written and
// returns Jira's approximate count of its issues.
func (p *Plan) Check(ctx context.Context) (int64, error) {
	var out struct {
		Count int64 `json:"count"`
	}
	err := p.opts.Client.PostJSON(ctx, api+"/search/approximate-count", map[string]string{"jql": p.opts.JQL}, &out, atlassian.Idempotent)
	if qe := queryError(err); qe != nil {
		return 0, qe
	}
	if err != nil {
		return 0, fmt.Errorf("check the query: %w", err)
	}
	p.opts.Client.AddPoints(1)
	return out.Count, nil
}

func queryError(err error) *QueryError {
	var ae *atlassian.Error
	if errors.As(err, &ae) && ae.Status == 400 {
		return &QueryError{Messages: []string{ae.Message}}
	}
	return nil
}

// Fields fetches the field list (names and schemas, kept once in
// fields.json rather than in every issue) and learns which custom fields
// hold users, for the redaction of changelogs.
func (p *Plan) Fields(ctx context.Context) ([]byte, error) {
	var raw json.RawMessage
	if err := p.opts.Client.GetJSON(ctx, api+"/field", nil, &raw); err != nil {
		return nil, fmt.Errorf("fetch the field list: %w", err)
	}
	var fields []struct {
		ID     string `json:"id"`
		Schema struct {
			Type  string `json:"type"`
			Items string `json:"items"`
		} `json:"schema"`
	}
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, fmt.Errorf("read the field list: %w", err)
	}
	p.opts.Client.AddPoints(len(fields))
	users := map[string]bool{}
	for _, f := range fields {
		if f.Schema.Type == "user" || f.Schema.Items == "user" {
			users[f.ID] = true
		}
	}
	if !p.opts.KeepAccountIDs {
		p.redactor = &redactor{userFieldIDs: users}
	}
	return raw, nil
}

// Issues calls emit for every issue of the query that done does not
// report as exported already, and problem for each one left out.
func (p *Plan) Issues(ctx context.Context, done func(id string) bool, problem func(Problem), emit func(*Issue) error) error {
	if p.redactor == nil && !p.opts.KeepAccountIDs {
		p.redactor = &redactor{}
	}
	batches := make(chan []string, p.opts.Concurrency)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(batches)
		return p.ids(ctx, done, batches)
	})
	for range p.opts.Concurrency {
		g.Go(func() error {
			for ids := range batches {
				if err := p.batch(ctx, ids, problem, emit); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// ids pages through the search, ids only, and sends batches for bulkfetch,
// the extra ids last.
func (p *Plan) ids(ctx context.Context, done func(string) bool, out chan<- []string) error {
	var batch []string
	// The search is eventually consistent: an id may come back on two pages.
	seen := map[string]struct{}{}
	add := func(id string) error {
		if _, dup := seen[id]; dup || done(id) {
			return nil
		}
		seen[id] = struct{}{}
		batch = append(batch, id)
		if len(batch) < bulkSize {
			return nil
		}
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
		batch = nil
		return nil
	}
	err := p.eachID(ctx, p.opts.JQL, func(id string) error {
		p.listed.Add(1)
		return add(id)
	})
	if err != nil {
		return err
	}
	for _, id := range p.opts.ExtraIDs {
		if err := add(id); err != nil {
			return err
		}
	}
	if len(batch) > 0 {
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// IDs lists the ids of every issue the plan's JQL selects, from the
// ids-only search (thousands a request): an incremental run compares
// them with the export it updates.
func (p *Plan) IDs(ctx context.Context) (map[string]bool, error) {
	ids := map[string]bool{}
	err := p.eachID(ctx, p.opts.JQL, func(id string) error { ids[id] = true; return nil })
	return ids, err
}

// eachID pages through the ids-only search of jql.
func (p *Plan) eachID(ctx context.Context, jql string, fn func(id string) error) error {
	token := ""
	for {
		body := map[string]any{"jql": jql, "fields": []string{"id"}, "maxResults": idPage}
		if token != "" {
			body["nextPageToken"] = token
		}
		var page struct {
			Issues []struct {
				ID string `json:"id"`
			} `json:"issues"`
			NextPageToken string `json:"nextPageToken"`
			IsLast        bool   `json:"isLast"`
		}
		err := p.opts.Client.PostJSON(ctx, api+"/search/jql", body, &page, atlassian.Idempotent)
		if qe := queryError(err); qe != nil {
			return qe
		}
		if err != nil {
			return fmt.Errorf("search issues: %w", err)
		}
		p.opts.Client.AddPoints(len(page.Issues))
		for _, is := range page.Issues {
			if err := fn(is.ID); err != nil {
				return err
			}
		}
		if page.IsLast || page.NextPageToken == "" {
			return nil
		}
		token = page.NextPageToken
	}
}

type bulkResult struct {
	Issues      []map[string]any `json:"issues"`
	IssueErrors []struct {
		ID string `json:"id"`
	} `json:"issueErrors"`
}

// batch fetches up to a hundred issues, completes and emits them.
func (p *Plan) batch(ctx context.Context, ids []string, problem func(Problem), emit func(*Issue) error) error {
	issues, errs, err := p.bulkfetch(ctx, ids)
	if err != nil {
		return err
	}
	// Ids in issueErrors are asked for again, together: a transient error of
	// one issue must not cost the others.
	var still []string
	if len(errs) > 0 {
		again, stillErr, err := p.bulkfetch(ctx, errs)
		if err != nil {
			return err
		}
		issues = append(issues, again...)
		still = stillErr
	}
	got := map[string]bool{}
	for _, is := range issues {
		got[str(is["id"])] = true
	}
	for _, id := range ids {
		switch {
		case got[id]:
		case slices.Contains(still, id):
			problem(Problem{ID: id, Reason: "bulkfetch", Detail: "Jira reported an error for this issue on every try; rerun to retry", Failed: true})
		default:
			// Missing from both lists: gone, moved, or not visible.
			problem(Problem{ID: id, Reason: "deleted", Detail: "listed by the search but no longer returned (deleted, moved or no permission)"})
		}
	}
	issues, gone, err := p.complete(ctx, issues)
	if err != nil {
		return err
	}
	for _, id := range gone {
		problem(Problem{ID: id, Reason: "deleted", Detail: "went away while its comments or worklogs were fetched"})
	}
	for _, is := range issues {
		out, err := p.finish(is)
		if err != nil {
			return err
		}
		if err := emit(out); err != nil {
			return err
		}
	}
	return nil
}

func (p *Plan) bulkfetch(ctx context.Context, ids []string) ([]map[string]any, []string, error) {
	body := map[string]any{
		"issueIdsOrKeys": ids,
		"fields":         p.opts.Fields,
		"expand":         []string{"renderedFields", "changelog"},
	}
	var res bulkResult
	if err := p.opts.Client.PostJSON(ctx, api+"/issue/bulkfetch", body, &res, atlassian.Idempotent); err != nil {
		return nil, nil, fmt.Errorf("fetch %d issues: %w", len(ids), err)
	}
	p.opts.Client.AddPoints(len(res.Issues))
	var errs []string
	for _, e := range res.IssueErrors {
		errs = append(errs, e.ID)
	}
	return res.Issues, errs, nil
}

// complete replaces truncated embedded lists with the whole lists from the
// dedicated endpoints, and sets each list's total and maxResults to its
// length. It returns the issues it could complete and the ids of those
// that went away meanwhile.
func (p *Plan) complete(ctx context.Context, issues []map[string]any) ([]map[string]any, []string, error) {
	var (
		truncatedChangelogs []string
		kept                []map[string]any
		gone                []string
	)
	byID := map[string]map[string]any{}
	for _, is := range issues {
		id := str(is["id"])
		fields, _ := is["fields"].(map[string]any)
		if fields != nil {
			rendered, _ := is["renderedFields"].(map[string]any)
			err := p.completeList(ctx, fields, rendered, "comment", "comments", api+"/issue/"+id+"/comment", 100)
			if err == nil {
				err = p.completeList(ctx, fields, rendered, "worklog", "worklogs", api+"/issue/"+id+"/worklog", 5000)
			}
			if errors.Is(err, errGone) {
				gone = append(gone, id)
				continue
			}
			if err != nil {
				return nil, nil, err
			}
		}
		kept = append(kept, is)
		byID[id] = is
		if cl, ok := is["changelog"].(map[string]any); ok && truncated(cl, "histories") {
			truncatedChangelogs = append(truncatedChangelogs, id)
		} else if ok {
			setTotals(cl, "histories")
		}
	}
	// A batch holds at most a hundred issues, well under the thousand
	// that one changelog bulkfetch takes.
	if len(truncatedChangelogs) > 0 {
		all, err := p.changelogs(ctx, truncatedChangelogs)
		if err != nil {
			return nil, nil, err
		}
		for _, id := range truncatedChangelogs {
			cl := byID[id]["changelog"].(map[string]any)
			cl["histories"] = all[id]
			setTotals(cl, "histories")
		}
	}
	return kept, gone, nil
}

// errGone means an issue answered 404 while it was being completed.
var errGone = errors.New("the issue went away")

// truncated reports whether an embedded list holds fewer entries than its total.
func truncated(container map[string]any, list string) bool {
	items, _ := container[list].([]any)
	total, ok := container["total"].(float64)
	return ok && int(total) > len(items)
}

func setTotals(container map[string]any, list string) {
	items, _ := container[list].([]any)
	container["total"] = len(items)
	container["maxResults"] = len(items)
	container["startAt"] = 0
}

// completeList fetches a whole comment or worklog list when the embedded
// one is truncated, and puts it in the rendered fields too (comments with
// their rendered bodies), so both say the same.
func (p *Plan) completeList(ctx context.Context, fields, rendered map[string]any, field, list, path string, pageSize int) error {
	container, ok := fields[field].(map[string]any)
	if !ok {
		return nil
	}
	if !truncated(container, list) {
		setTotals(container, list)
		if r, ok := rendered[field].(map[string]any); ok {
			setTotals(r, list)
		}
		return nil
	}
	var all []any
	for start := 0; ; {
		var page map[string]any
		q := map[string][]string{"startAt": {strconv.Itoa(start)}, "maxResults": {strconv.Itoa(pageSize)}}
		if field == "comment" && rendered != nil {
			q["expand"] = []string{"renderedBody"}
		}
		if err := p.opts.Client.GetJSON(ctx, path, q, &page); err != nil {
			if atlassian.IsNotFound(err) {
				return errGone
			}
			return fmt.Errorf("fetch the %s of issue %s: %w", list, path, err)
		}
		items, _ := page[list].([]any)
		p.opts.Client.AddPoints(len(items))
		all = append(all, items...)
		total, _ := page["total"].(float64)
		start += len(items)
		if len(items) == 0 || start >= int(total) {
			break
		}
	}
	container[list] = all
	setTotals(container, list)
	if r, ok := rendered[field].(map[string]any); ok {
		r[list] = all
		setTotals(r, list)
	}
	return nil
}

// changelogs fetches the whole changelogs of up to a thousand issues in
// one paginated bulk call.
func (p *Plan) changelogs(ctx context.Context, ids []string) (map[string][]any, error) {
	all := map[string][]any{}
	token := ""
	for {
		body := map[string]any{"issueIdsOrKeys": ids, "maxResults": 10000}
		if token != "" {
			body["nextPageToken"] = token
		}
		var page struct {
			IssueChangeLogs []struct {
				IssueID         string `json:"issueId"`
				ChangeHistories []any  `json:"changeHistories"`
			} `json:"issueChangeLogs"`
			NextPageToken string `json:"nextPageToken"`
		}
		if err := p.opts.Client.PostJSON(ctx, api+"/changelog/bulkfetch", body, &page, atlassian.Idempotent); err != nil {
			return nil, fmt.Errorf("fetch the changelogs of %d issues: %w", len(ids), err)
		}
		for _, l := range page.IssueChangeLogs {
			p.opts.Client.AddPoints(len(l.ChangeHistories))
			all[l.IssueID] = append(all[l.IssueID], l.ChangeHistories...)
		}
		if page.NextPageToken == "" {
			return all, nil
		}
		token = page.NextPageToken
	}
}

// finish redacts the issue and lists its attachments.
func (p *Plan) finish(is map[string]any) (*Issue, error) {
	out := &Issue{ID: str(is["id"]), Key: str(is["key"])}
	delete(is, "names")
	delete(is, "schema")
	fields, _ := is["fields"].(map[string]any)
	if fields != nil {
		if u, err := time.Parse(jiraTime, str(fields["updated"])); err == nil {
			out.Updated = u.UTC()
		}
		atts, _ := fields["attachment"].([]any)
		for _, a := range atts {
			m, _ := a.(map[string]any)
			if m == nil {
				continue
			}
			size, _ := m["size"].(float64)
			created, _ := time.Parse(jiraTime, str(m["created"]))
			out.Attachments = append(out.Attachments, Attachment{ID: str(m["id"]), Filename: str(m["filename"]), Size: int64(size), Created: created.UTC()})
		}
	}
	if p.redactor != nil {
		p.redactor.issue(is)
	}
	b, err := json.Marshal(is)
	if err != nil {
		return nil, err
	}
	out.JSON = b
	return out, nil
}

// jiraTime is Jira's timestamp layout ("2026-11-23T10:15:30.000+0100").
const jiraTime = "2006-01-02T15:04:05.000-0700"

func str(v any) string {
	s, _ := v.(string)
	return s
}
