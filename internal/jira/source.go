// Package jira is the Jira Cloud source of an export: it finds the issues
// a JQL query selects and fetches them completely, with as few requests
// and rate-limit points as the API allows — ids from /search/jql in pages
// of thousands, details from /issue/bulkfetch a hundred at a time, the
// changes of a hundred issues from one /changelog/bulkfetch, and the
// comment and worklog endpoints only for what the embedded lists leave
// out — and hands them to the export engine as its items.
package jira

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/query"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

const (
	api = "/rest/api/3"
	// idPage is the page size of the ids-only search (the API's cap).
	idPage = 5000
	// bulkSize is /issue/bulkfetch's limit.
	bulkSize = 100
)

// Scopes are what a Jira export cannot do without.
var Scopes = []string{"read:jira-work", "read:jira-user"}

// queryError is Jira refusing the JQL (exit 2, with Jira's own message).
func queryError(err error) error {
	var ae *atlassian.Error
	if !errors.As(err, &ae) || ae.Status != 400 {
		return nil
	}
	qe := &export.QueryError{Product: "Jira", Message: ae.Message}
	if strings.Contains(strings.ToLower(ae.Message), "unbounded") {
		qe.Hint = ` (add a restriction such as "project = KEY" or "updated >= -30d")`
	}
	return qe
}

// Options configure a source.
type Options struct {
	Client *atlassian.Client
	// JQL is the query as the user gave it.
	JQL string
	// Window, when positive, narrows the query to the issues updated in
	// the last Window minutes (--since, --incremental).
	Window int
	// Fields are the issue fields to fetch ("*all" by default).
	Fields []string
	// KeepAccountIDs turns the privacy redaction off.
	KeepAccountIDs bool
	// Concurrency is the number of bulk fetches in flight.
	Concurrency int
	// ExtraIDs are issues to export besides those the JQL selects (an
	// incremental run's issues that newly match the query unchanged).
	ExtraIDs []string
	// OnlyExtraIDs leaves the search out: the ExtraIDs are the issues to
	// export (a repair's, whose files are damaged).
	OnlyExtraIDs bool
	// SiteURL is the site's address (https://example.atlassian.net): the
	// Markdown's links to the site's issues are made of it, not of the
	// issues' self, which is the API gateway's address when the client
	// goes through it.
	SiteURL string
	// Keys are the ids of the issues the export holds by key, besides
	// those the query lists (an incremental run's: those of its List, the
	// whole query), so that links between issues become relative.
	Keys map[string]string
}

// Issue is one exported issue: its JSON made complete and redacted, and its
// attachments.
type Issue struct {
	ID          string
	Key         string
	Updated     time.Time
	JSON        []byte
	Attachments []export.Attachment
	// render is what the Markdown needs besides the JSON.
	render Render
}

// Source finds and fetches the issues of a query: the export's source.
type Source struct {
	opts     Options
	jql      string // as sent: the user's, narrowed to the window
	redactor *redactor
	listed   atomic.Int64
	// fieldList is fields.json, read; keys the export's issues by key,
	// complete once the listing is.
	fieldList []Field
	keys      keyIndex
}

var _ export.Source = (*Source)(nil)

// Query is the query as sent: the user's, narrowed to the window.
func (s *Source) Query() string { return s.jql }

// Listed is how many issues the search listed (after Items returns).
func (s *Source) Listed() int64 { return s.listed.Load() }

// New returns a source.
func New(opts Options) *Source {
	if len(opts.Fields) == 0 {
		opts.Fields = []string{"*all"}
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	jql := opts.JQL
	if opts.Window > 0 {
		jql = query.And(jql, query.UpdatedWithin(opts.Window))
	}
	s := &Source{opts: opts, jql: jql, keys: keyIndex{}}
	for k, id := range opts.Keys {
		s.keys.add(k, id)
	}
	return s
}

// Keys are the issues listed so far (by List or Items), their ids by key.
func (s *Source) Keys() map[string]string { return maps.Clone(s.keys) }

// keyIndex holds the ids of the export's issues by key.
type keyIndex map[string]string

func (k keyIndex) add(key, id string) {
	if key != "" && id != "" {
		k[key] = id
	}
}

// Check validates the query, as sent, with Jira before anything is
// written and returns Jira's approximate count of its issues.
func (s *Source) Check(ctx context.Context) (int64, error) {
	return s.count(ctx, s.jql)
}

func (s *Source) count(ctx context.Context, jql string) (int64, error) {
	var out struct {
		Count int64 `json:"count"`
	}
	err := s.opts.Client.PostJSON(ctx, api+"/search/approximate-count", map[string]string{"jql": jql}, &out, atlassian.Idempotent)
	if qe := queryError(err); qe != nil {
		return 0, qe
	}
	if err != nil {
		// Not "check the query": Jira refusing it is a QueryError; this
		// is the API failing (out of reach, 5xx on every attempt), and
		// the error names the call.
		return 0, err
	}
	// A count is no object: the request's point is all it costs.
	return out.Count, nil
}

// List lists every issue the query the user gave selects now, whatever
// the window, from the ids-only search (thousands a request), with Jira's
// own count of them: an incremental run compares them with the export it
// updates.
func (s *Source) List(ctx context.Context) (export.Listing, error) {
	count, err := s.count(ctx, s.opts.JQL)
	if err != nil {
		return export.Listing{}, err
	}
	ids := map[string]bool{}
	err = s.eachID(ctx, s.opts.JQL, func(id, key string) error {
		ids[id] = true
		s.keys.add(key, id)
		return nil
	})
	return export.Listing{IDs: ids, Count: count}, err
}

// Items implements export.Source: fields.json, then every issue of the
// query with its attachments.
func (s *Source) Items(ctx context.Context, done func(kind, id string) bool, problems export.Problems, emit func(*export.Item) error) error {
	fields, err := s.fields(ctx)
	if err != nil {
		return err
	}
	if !done(exportformat.KindFields, "fields") {
		it := &export.Item{Kind: exportformat.KindFields, ID: "fields", Path: exportformat.FieldsName, JSON: fields}
		if err := emit(it); err != nil {
			return err
		}
	}
	isDone := func(id string) bool { return done(exportformat.KindIssue, id) }
	return s.issues(ctx, isDone, problems, func(is *Issue) error { return emit(is.item()) })
}

// item is the issue as the engine writes it.
func (is *Issue) item() *export.Item {
	return &export.Item{
		Kind: exportformat.KindIssue, ID: is.ID, Key: is.Key, Updated: is.Updated,
		Path: exportformat.ItemPath(exportformat.KindIssue, is.ID), Dir: exportformat.ItemDir(exportformat.KindIssue, is.ID), JSON: is.JSON,
		MarkdownPath: exportformat.MarkdownPath(exportformat.KindIssue, is.ID), RenderMarkdown: is.Markdown,
		Attachments: is.Attachments,
	}
}

// fields fetches the field list (names and schemas, kept once in
// fields.json rather than in every issue) and learns which custom fields
// hold users, for the redaction of changelogs.
func (s *Source) fields(ctx context.Context) ([]byte, error) {
	var raw json.RawMessage
	if err := s.opts.Client.GetJSON(ctx, api+"/field", nil, &raw); err != nil {
		return nil, fmt.Errorf("fetch the field list: %w", err)
	}
	fields, err := ParseFields(raw)
	if err != nil {
		return nil, err
	}
	s.fieldList = fields
	s.opts.Client.Charge(api+"/field", len(fields))
	users := map[string]bool{}
	for _, f := range fields {
		if f.Schema.Type == "user" || f.Schema.Items == "user" {
			users[f.ID] = true
		}
	}
	if !s.opts.KeepAccountIDs {
		s.redactor = &redactor{userFieldIDs: users}
	}
	return raw, nil
}

// issues lists every issue of the query, then fetches those that done
// does not report as exported already and calls emit for each, and tells
// problems of each one left out. The listing ends before any fetch, so
// every issue's Markdown knows all the issues of the export, whatever the
// timing.
func (s *Source) issues(ctx context.Context, done func(id string) bool, problems export.Problems, emit func(*Issue) error) error {
	if s.redactor == nil && !s.opts.KeepAccountIDs {
		s.redactor = &redactor{}
	}
	todo, err := s.ids(ctx, done)
	if err != nil {
		return err
	}
	batches := make(chan []string)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(batches)
		for start := 0; start < len(todo); start += bulkSize {
			select {
			case batches <- todo[start:min(start+bulkSize, len(todo))]:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	for range s.opts.Concurrency {
		g.Go(func() error {
			for ids := range batches {
				if err := s.batch(ctx, ids, problems, emit); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// ids pages through the search, ids and keys only, learning every key,
// and returns the ids to fetch, the extra ids last.
func (s *Source) ids(ctx context.Context, done func(string) bool) ([]string, error) {
	var todo []string
	// The search is eventually consistent: an id may come back on two pages.
	seen := map[string]struct{}{}
	add := func(id string) {
		if _, dup := seen[id]; dup || done(id) {
			return
		}
		seen[id] = struct{}{}
		todo = append(todo, id)
	}
	if !s.opts.OnlyExtraIDs {
		err := s.eachID(ctx, s.jql, func(id, key string) error {
			s.listed.Add(1)
			s.keys.add(key, id)
			add(id)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for _, id := range s.opts.ExtraIDs {
		add(id)
	}
	return todo, nil
}

// eachID pages through the search of jql, ids and keys only.
func (s *Source) eachID(ctx context.Context, jql string, fn func(id, key string) error) error {
	token := ""
	for {
		// Keys only: the largest pages, as for ids alone, and every issue
		// carries its id anyway.
		body := map[string]any{"jql": jql, "fields": []string{"key"}, "maxResults": idPage}
		if token != "" {
			body["nextPageToken"] = token
		}
		var page struct {
			Issues []struct {
				ID  string `json:"id"`
				Key string `json:"key"`
			} `json:"issues"`
			NextPageToken string `json:"nextPageToken"`
			IsLast        bool   `json:"isLast"`
		}
		err := s.opts.Client.PostJSON(ctx, api+"/search/jql", body, &page, atlassian.Idempotent)
		if qe := queryError(err); qe != nil {
			return qe
		}
		if err != nil {
			return fmt.Errorf("search issues: %w", err)
		}
		s.opts.Client.Charge(api+"/search/jql", len(page.Issues))
		for _, is := range page.Issues {
			if err := fn(is.ID, is.Key); err != nil {
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
func (s *Source) batch(ctx context.Context, ids []string, problems export.Problems, emit func(*Issue) error) error {
	issues, errs, err := s.bulkfetch(ctx, ids)
	if err != nil {
		return err
	}
	// Ids in issueErrors are asked for again, together: a transient error of
	// one issue must not cost the others. Those named again are looked
	// for alone.
	var still []string
	if len(errs) > 0 {
		again, stillErr, err := s.bulkfetch(ctx, errs)
		if err != nil {
			return err
		}
		issues = append(issues, again...)
		if still, err = s.present(ctx, stillErr); err != nil {
			return err
		}
	}
	got := map[string]bool{}
	for _, is := range issues {
		got[str(is["id"])] = true
	}
	for _, id := range ids {
		switch {
		case got[id]:
		case slices.Contains(still, id):
			problems.Fail(issueProblem(id, "bulkfetch", "Jira reported an error for this issue on every try; rerun to retry"))
		default:
			// Missing from both lists, or named in issueErrors but not
			// found alone: gone, moved, or not visible.
			problems.Skip(issueProblem(id, exportformat.ReasonDeleted, "listed by the search but no longer returned (deleted, moved or no permission)"))
		}
	}
	issues, gone, err := s.complete(ctx, issues)
	if err != nil {
		return err
	}
	for _, id := range gone {
		problems.Skip(issueProblem(id, exportformat.ReasonDeleted, "went away while its comments or worklogs were fetched"))
	}
	for _, is := range issues {
		out, err := s.finish(is)
		if err != nil {
			return err
		}
		if err := emit(out); err != nil {
			return err
		}
	}
	return nil
}

// present returns the issues of ids that may still exist, asking for
// each alone, with one field: the spec says bulkfetch leaves gone and
// hidden issues out of issueErrors, but a cloud that names one there on
// every try would otherwise fail every export that races a deletion. An
// issue that answers 404 is left out of the result, to be skipped as
// bulkfetch's omissions are; any other answer keeps it in, to fail.
func (s *Source) present(ctx context.Context, ids []string) ([]string, error) {
	var kept []string
	for _, id := range ids {
		err := s.opts.Client.GetJSON(ctx, api+"/issue/"+id, url.Values{"fields": {"summary"}}, nil)
		switch {
		case err == nil:
			s.opts.Client.Charge(api+"/issue/"+id, 1)
		case atlassian.IsNotFound(err):
			continue
		case !answered(err):
			return nil, fmt.Errorf("look for issue %s: %w", id, err)
		}
		kept = append(kept, id)
	}
	return kept, nil
}

// answered reports whether err is the API's answer about the item asked
// for (a status other than 401, or failures on every try) rather than a
// reason to stop the export: a dead grant, a missing scope, an API that
// stopped answering or cannot be reached, the export itself stopping.
func answered(err error) bool {
	var (
		exhausted *atlassian.RetryExhaustedError
		apiErr    *atlassian.Error
		stall     *atlassian.StallError
		down      *atlassian.UnreachableError
	)
	if errors.As(err, &stall) || errors.As(err, &down) {
		return false
	}
	return errors.As(err, &exhausted) || (errors.As(err, &apiErr) && apiErr.Status != http.StatusUnauthorized)
}

// issueProblem is an issue left out or given up on.
func issueProblem(id, reason, detail string) exportformat.Problem {
	return exportformat.Problem{Kind: exportformat.KindIssue, ID: id, Item: id, Reason: reason, Detail: detail}
}

func (s *Source) bulkfetch(ctx context.Context, ids []string) ([]map[string]any, []string, error) {
	// No expand=changelog: it embeds only the newest forty changes, and
	// the changelog's own bulk endpoint, which completes the rest, cannot
	// start after them; asked there alone, each change comes once.
	body := map[string]any{
		"issueIdsOrKeys": ids,
		"fields":         s.opts.Fields,
		"expand":         []string{"renderedFields"},
	}
	var res bulkResult
	if err := s.opts.Client.PostJSON(ctx, api+"/issue/bulkfetch", body, &res, atlassian.Idempotent); err != nil {
		return nil, nil, fmt.Errorf("fetch %d issues: %w", len(ids), err)
	}
	for _, is := range res.Issues {
		s.opts.Client.Charge(api+"/issue/bulkfetch", issueObjects(is))
	}
	var errs []string
	for _, e := range res.IssueErrors {
		errs = append(errs, e.ID)
	}
	return res.Issues, errs, nil
}

// issueObjects is what an issue returned costs: itself and the objects
// embedded in it (attachments, comments, worklogs, changes). Their
// renderings in renderedFields are the same objects, and users embedded
// anywhere cost nothing of their own.
func issueObjects(is map[string]any) int {
	n := 1
	fields, _ := is["fields"].(map[string]any)
	atts, _ := fields["attachment"].([]any)
	n += len(atts)
	for field, list := range map[string]string{"comment": "comments", "worklog": "worklogs"} {
		container, _ := fields[field].(map[string]any)
		items, _ := container[list].([]any)
		n += len(items)
	}
	cl, _ := is["changelog"].(map[string]any)
	histories, _ := cl["histories"].([]any)
	return n + len(histories)
}

// complete replaces truncated comment and worklog lists with the whole
// lists, adds every issue's changelog, and sets each list's total and
// maxResults to its length. It returns the issues it could complete and
// the ids of those that went away meanwhile.
func (s *Source) complete(ctx context.Context, issues []map[string]any) ([]map[string]any, []string, error) {
	var (
		kept []map[string]any
		ids  []string
		gone []string
	)
	for _, is := range issues {
		id := str(is["id"])
		err := s.completeLists(ctx, is)
		if errors.Is(err, errGone) {
			gone = append(gone, id)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		kept = append(kept, is)
		ids = append(ids, id)
	}
	if len(kept) == 0 {
		return nil, gone, nil
	}
	// A batch holds at most a hundred issues, well under the thousand
	// that one changelog bulkfetch takes.
	all, err := s.changelogs(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	for _, is := range kept {
		histories := all[str(is["id"])]
		if histories == nil {
			histories = []any{}
		}
		cl := map[string]any{"histories": histories}
		setTotals(cl, "histories")
		is["changelog"] = cl
	}
	return kept, gone, nil
}

// completeLists completes the comments and worklogs of one issue.
func (s *Source) completeLists(ctx context.Context, is map[string]any) error {
	fields, _ := is["fields"].(map[string]any)
	if fields == nil {
		return nil
	}
	id := str(is["id"])
	rendered, _ := is["renderedFields"].(map[string]any)
	comments := issueList{field: "comment", items: "comments", path: api + "/issue/" + id + "/comment", pageSize: 100, rendered: rendered != nil}
	if err := s.completeList(ctx, fields, rendered, comments); err != nil {
		return err
	}
	worklogs := issueList{field: "worklog", items: "worklogs", path: api + "/issue/" + id + "/worklog", pageSize: 5000}
	return s.completeList(ctx, fields, rendered, worklogs)
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

// issueList is one of an issue's lists that its fields embed cut short,
// and the endpoint that has it whole.
type issueList struct {
	field, items string // "comment" and "comments"
	path         string
	pageSize     int
	// rendered asks for the rendered bodies too (comments, when the
	// issue has renderedFields).
	rendered bool
}

// completeList makes a truncated comment or worklog list whole, asking
// its endpoint only for the entries after those embedded, and puts it in
// the rendered fields too (comments with their rendered bodies as
// renderedFields shows them), so both say the same.
func (s *Source) completeList(ctx context.Context, fields, rendered map[string]any, l issueList) error {
	container, ok := fields[l.field].(map[string]any)
	if !ok {
		return nil
	}
	renderedContainer, _ := rendered[l.field].(map[string]any)
	if !truncated(container, l.items) {
		setTotals(container, l.items)
		if renderedContainer != nil {
			setTotals(renderedContainer, l.items)
		}
		return nil
	}
	embedded, _ := container[l.items].([]any)
	renderedEmbedded, _ := renderedContainer[l.items].([]any)
	// From the last embedded entry on: finding it first proves that no
	// entry before it went away meanwhile, which would shift an entry
	// past the embedded ones unseen.
	rest, total, err := s.listPages(ctx, l, max(len(embedded)-1, 0))
	if err != nil {
		return err
	}
	rest, anchored := afterAnchor(embedded, rest)
	if !anchored || !continues(embedded, rest, total) || (renderedContainer != nil && len(renderedEmbedded) != len(embedded)) {
		// The embedded entries are not the first ones, or the list
		// changed meanwhile: the whole list, once more.
		embedded, renderedEmbedded = nil, nil
		if rest, _, err = s.listPages(ctx, l, 0); err != nil {
			return err
		}
	}
	container[l.items] = append(embedded, plain(rest)...)
	setTotals(container, l.items)
	if renderedContainer != nil {
		renderedContainer[l.items] = append(renderedEmbedded, asRendered(rest)...)
		setTotals(renderedContainer, l.items)
	}
	return nil
}

// afterAnchor checks that fetched starts with the last embedded entry
// and returns what follows it.
func afterAnchor(embedded, fetched []any) ([]any, bool) {
	if len(embedded) == 0 {
		return fetched, true
	}
	if len(fetched) == 0 {
		return nil, false
	}
	last, _ := embedded[len(embedded)-1].(map[string]any)
	first, _ := fetched[0].(map[string]any)
	return fetched[1:], str(last["id"]) != "" && str(last["id"]) == str(first["id"])
}

// continues reports whether rest, fetched from after the embedded
// entries, completes them: no entry twice, and total entries in all.
func continues(embedded, rest []any, total int) bool {
	if len(embedded)+len(rest) != total {
		return false
	}
	seen := map[string]bool{}
	for _, e := range embedded {
		m, _ := e.(map[string]any)
		seen[str(m["id"])] = true
	}
	for _, e := range rest {
		m, _ := e.(map[string]any)
		if seen[str(m["id"])] {
			return false
		}
	}
	return true
}

// listPages fetches a list's entries from start on, and its total.
func (s *Source) listPages(ctx context.Context, l issueList, start int) ([]any, int, error) {
	var all []any
	for {
		var page map[string]any
		q := url.Values{"startAt": {strconv.Itoa(start)}, "maxResults": {strconv.Itoa(l.pageSize)}}
		if l.rendered {
			q.Set("expand", "renderedBody")
		}
		if err := s.opts.Client.GetJSON(ctx, l.path, q, &page); err != nil {
			if atlassian.IsNotFound(err) {
				return nil, 0, errGone
			}
			return nil, 0, fmt.Errorf("fetch the %s of issue %s: %w", l.items, l.path, err)
		}
		items, _ := page[l.items].([]any)
		s.opts.Client.Charge(l.path, len(items))
		all = append(all, items...)
		total, _ := page["total"].(float64)
		start += len(items)
		if len(items) == 0 || start >= int(total) {
			return all, int(total), nil
		}
	}
}

// plain is comments as the comment field holds them: without the
// rendered body that was asked for alongside.
func plain(entries []any) []any {
	out := make([]any, 0, len(entries))
	for _, e := range entries {
		m, ok := e.(map[string]any)
		if ok && m["renderedBody"] != nil {
			m = maps.Clone(m)
			delete(m, "renderedBody")
			e = m
		}
		out = append(out, e)
	}
	return out
}

// asRendered is comments as renderedFields holds them: the rendered
// body in place of the document.
func asRendered(entries []any) []any {
	out := make([]any, 0, len(entries))
	for _, e := range entries {
		m, ok := e.(map[string]any)
		if rb, has := m["renderedBody"]; ok && has {
			m = maps.Clone(m)
			m["body"] = rb
			delete(m, "renderedBody")
		}
		out = append(out, m)
	}
	return out
}

// changelogs fetches the whole changelogs of up to a thousand issues in
// one paginated bulk call.
func (s *Source) changelogs(ctx context.Context, ids []string) (map[string][]any, error) {
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
		if err := s.opts.Client.PostJSON(ctx, api+"/changelog/bulkfetch", body, &page, atlassian.Idempotent); err != nil {
			return nil, fmt.Errorf("fetch the changelogs of %d issues: %w", len(ids), err)
		}
		for _, l := range page.IssueChangeLogs {
			s.opts.Client.Charge(api+"/changelog/bulkfetch", len(l.ChangeHistories))
			all[l.IssueID] = append(all[l.IssueID], l.ChangeHistories...)
		}
		if page.NextPageToken == "" {
			return all, nil
		}
		token = page.NextPageToken
	}
}

// finish redacts the issue and lists its attachments.
func (s *Source) finish(is map[string]any) (*Issue, error) {
	out := &Issue{ID: str(is["id"]), Key: str(is["key"])}
	out.render = Render{Fields: s.fieldList, IssuePath: s.issuePath(out.ID), Site: s.opts.SiteURL}
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
			id := str(m["id"])
			out.Attachments = append(out.Attachments, export.Attachment{
				ID: id, Name: str(m["filename"]), Size: int64(size), Updated: created.UTC(),
				// A redirect to the media host.
				Path: api + "/attachment/content/" + id,
			})
		}
	}
	if s.redactor != nil {
		s.redactor.issue(is)
	}
	b, err := json.Marshal(is)
	if err != nil {
		return nil, err
	}
	out.JSON = b
	return out, nil
}

// issuePath resolves the keys of the export's issues to paths relative
// to the Markdown of issue from.
func (s *Source) issuePath(from string) func(key string) (string, bool) {
	return func(key string) (string, bool) {
		id, ok := s.keys[key]
		if !ok {
			return "", false
		}
		return RelativeIssuePath(from, id), true
	}
}

// RelativeIssuePath is the path of issue to's Markdown relative to issue
// from's: "../10002/issue.md".
func RelativeIssuePath(from, to string) string {
	dir := strings.Split(exportformat.ItemDir(exportformat.KindIssue, from), "/")
	target := strings.Split(exportformat.MarkdownPath(exportformat.KindIssue, to), "/")
	i := 0
	for i < len(dir) && i < len(target)-1 && dir[i] == target[i] {
		i++
	}
	return strings.Repeat("../", len(dir)-i) + strings.Join(target[i:], "/")
}

// jiraTime is Jira's timestamp layout ("2026-11-23T10:15:30.000+0100").
const jiraTime = "2006-01-02T15:04:05.000-0700"

func str(v any) string {
	s, _ := v.(string)
	return s
}
