package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Page sizes of the per-issue lists: the spec's defaults, which the
// sandbox also takes as caps.
const (
	JiraCommentPageSize   = 100
	JiraWorklogPageSize   = 5000
	JiraChangelogPageSize = 100
	// JiraChangelogBulkDefault and JiraChangelogBulkMax bound
	// maxResults of /changelog/bulkfetch, in changelog entries.
	JiraChangelogBulkDefault = 1000
	JiraChangelogBulkMax     = 10000
)

func (s *Server) handleJiraComments(w http.ResponseWriter, r *http.Request, c *jiraCall) {
	iss, ok := c.visibleIssue(w, r.PathValue("issueIdOrKey"))
	if !ok {
		return
	}
	startAt, size, err := pageBounds(r, JiraCommentPageSize, JiraCommentPageSize)
	if err != nil {
		writeJiraErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	desc := false
	switch order := r.URL.Query().Get("orderBy"); order {
	case "", "created", "+created":
	case "-created":
		desc = true
	default:
		writeJiraErrors(w, http.StatusBadRequest, fmt.Sprintf("The orderBy value '%s' is not valid: use created, +created or -created.", order))
		return
	}
	rendered := slices.Contains(splitJiraList(r.URL.Query()["expand"]), "renderedBody")
	end := min(startAt+size, iss.comments)
	page := jiraEmbeddedComments{Comments: []jiraCommentJSON{}, StartAt: startAt, MaxResults: size, Total: iss.comments}
	for k := startAt; k < end; k++ {
		j := k
		if desc {
			j = iss.comments - 1 - k
		}
		page.Comments = append(page.Comments, c.comment(iss.comment(j), rendered))
	}
	writeJSON(w, http.StatusOK, page)
}

// readJiraIDs reads the {"ids":[…]} body of /comment/list and
// /worklog/list. The spec types the ids as integers; Jira's parser also
// takes them as strings of digits, and so does json.Number.
func readJiraIDs(w http.ResponseWriter, r *http.Request, what string) ([]int64, bool) {
	var req struct {
		IDs []json.Number `json:"ids"`
	}
	if err := decodeJiraBody(w, r, &req); err != nil {
		writeJiraErrors(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	if len(req.IDs) == 0 || len(req.IDs) > JiraListMax {
		writeJiraErrors(w, http.StatusBadRequest, fmt.Sprintf("Provide between 1 and %d %s IDs.", JiraListMax, what))
		return nil, false
	}
	ids := make([]int64, 0, len(req.IDs))
	for _, v := range req.IDs {
		n, err := v.Int64()
		if err != nil {
			writeJiraErrors(w, http.StatusBadRequest, errJiraPayload.Error())
			return nil, false
		}
		ids = append(ids, n)
	}
	slices.Sort(ids)
	return slices.Compact(ids), true
}

// issueCache draws each issue once for the lists, whose ids often share
// issues.
type issueCache struct {
	c      *jiraCall
	issues map[int]*jiraIssue
}

func (ic *issueCache) get(ref jiraRef) *jiraIssue {
	if ic.issues == nil {
		ic.issues = map[int]*jiraIssue{}
	}
	iss, ok := ic.issues[ref.global()]
	if !ok {
		iss = genJiraIssue(ref, ic.c.site)
		ic.issues[ref.global()] = iss
	}
	return iss
}

// entities finds the visible items of the ids, in id order; count says
// how many items of the kind an issue has.
func (c *jiraCall) entities(ids []int64, count func(*jiraIssue) int, each func(*jiraIssue, int)) {
	ic := issueCache{c: c}
	for _, id := range ids {
		ref, j, ok := c.findEntity(id)
		if !ok {
			continue
		}
		iss := ic.get(ref)
		if iss.vanished || iss.forbidden || j >= count(iss) {
			continue
		}
		each(iss, j)
	}
}

func (s *Server) handleJiraCommentList(w http.ResponseWriter, r *http.Request, c *jiraCall) {
	ids, ok := readJiraIDs(w, r, "comment")
	if !ok {
		return
	}
	rendered := slices.Contains(splitJiraList(r.URL.Query()["expand"]), "renderedBody")
	values := []jiraCommentJSON{}
	c.entities(ids, func(iss *jiraIssue) int { return iss.comments }, func(iss *jiraIssue, j int) {
		values = append(values, c.comment(iss.comment(j), rendered))
	})
	writeJSON(w, http.StatusOK, struct {
		IsLast     bool              `json:"isLast"`
		MaxResults int               `json:"maxResults"`
		StartAt    int               `json:"startAt"`
		Total      int               `json:"total"`
		Values     []jiraCommentJSON `json:"values"`
	}{true, JiraListMax, 0, len(values), values})
}

func (s *Server) handleJiraWorklogs(w http.ResponseWriter, r *http.Request, c *jiraCall) {
	iss, ok := c.visibleIssue(w, r.PathValue("issueIdOrKey"))
	if !ok {
		return
	}
	startAt, size, err := pageBounds(r, JiraWorklogPageSize, JiraWorklogPageSize)
	if err != nil {
		writeJiraErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	after, err := jiraQueryInt(r, "startedAfter", 0)
	if err != nil {
		writeJiraErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	before, err := jiraQueryInt(r, "startedBefore", 0)
	if err != nil {
		writeJiraErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	// Only a filter needs every worklog drawn; a page needs its own.
	var chosen []int
	total := iss.worklogs
	if after > 0 || before > 0 {
		for j := range iss.worklogs {
			ms := iss.worklog(j).started.UnixMilli()
			if (after <= 0 || ms >= int64(after)) && (before <= 0 || ms <= int64(before)) {
				chosen = append(chosen, j)
			}
		}
		total = len(chosen)
	}
	page := jiraWorklogPage{Worklogs: []jiraWorklogJSON{}, StartAt: startAt, MaxResults: size, Total: total}
	for k := startAt; k < min(startAt+size, total); k++ {
		j := k
		if chosen != nil {
			j = chosen[k]
		}
		page.Worklogs = append(page.Worklogs, c.worklog(iss.worklog(j)))
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) handleJiraWorklogList(w http.ResponseWriter, r *http.Request, c *jiraCall) {
	ids, ok := readJiraIDs(w, r, "worklog")
	if !ok {
		return
	}
	// The spec's answer is a bare array, not a page.
	values := []jiraWorklogJSON{}
	c.entities(ids, func(iss *jiraIssue) int { return iss.worklogs }, func(iss *jiraIssue, j int) {
		values = append(values, c.worklog(iss.worklog(j)))
	})
	writeJSON(w, http.StatusOK, values)
}

// jiraChangelogPageBean is the spec's PageBeanChangelog; self and
// nextPage are site URLs.
type jiraChangelogPageBean struct {
	Self       string            `json:"self"`
	NextPage   string            `json:"nextPage,omitempty"`
	MaxResults int               `json:"maxResults"`
	StartAt    int               `json:"startAt"`
	Total      int               `json:"total"`
	IsLast     bool              `json:"isLast"`
	Values     []jiraHistoryJSON `json:"values"`
}

func (s *Server) handleJiraChangelog(w http.ResponseWriter, r *http.Request, c *jiraCall) {
	iss, ok := c.visibleIssue(w, r.PathValue("issueIdOrKey"))
	if !ok {
		return
	}
	startAt, size, err := pageBounds(r, JiraChangelogPageSize, JiraChangelogPageSize)
	if err != nil {
		writeJiraErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	pageURL := func(start int) string {
		return c.siteURL + "/rest/api/3/issue/" + url.PathEscape(r.PathValue("issueIdOrKey")) +
			"/changelog?maxResults=" + strconv.Itoa(size) + "&startAt=" + strconv.Itoa(start)
	}
	end := min(startAt+size, iss.histories)
	page := jiraChangelogPageBean{
		Self: pageURL(startAt), MaxResults: size, StartAt: startAt, Total: iss.histories,
		IsLast: end >= iss.histories, Values: []jiraHistoryJSON{},
	}
	for j := startAt; j < end; j++ {
		page.Values = append(page.Values, c.history(iss.history(c.me, j)))
	}
	if !page.IsLast {
		page.NextPage = pageURL(end)
	}
	writeJSON(w, http.StatusOK, page)
}

// jiraChangelogBulkRequest is the spec's BulkChangelogRequestBean.
type jiraChangelogBulkRequest struct {
	IssueIDsOrKeys []string `json:"issueIdsOrKeys"`
	FieldIDs       []string `json:"fieldIds"`
	MaxResults     *int     `json:"maxResults"`
	NextPageToken  string   `json:"nextPageToken"`
}

type jiraIssueChangeLog struct {
	IssueID         string            `json:"issueId"`
	ChangeHistories []jiraHistoryJSON `json:"changeHistories"`
}

// handleJiraChangelogBulk pages through the changelogs of many issues,
// oldest first. An issue's changes all fall within its own stretch of
// time, and those stretches follow the positions, so "by date, then
// issue id" is issue by issue within a project; across projects the
// sandbox goes issue by issue too.
func (s *Server) handleJiraChangelogBulk(w http.ResponseWriter, r *http.Request, c *jiraCall) {
	var req jiraChangelogBulkRequest
	if err := decodeJiraBody(w, r, &req); err != nil {
		writeJiraErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	switch {
	case len(req.IssueIDsOrKeys) == 0 || len(req.IssueIDsOrKeys) > JiraListMax:
		writeJiraErrors(w, http.StatusBadRequest, fmt.Sprintf("Provide between 1 and %d issue IDs or keys.", JiraListMax))
		return
	case len(req.FieldIDs) > 10:
		writeJiraErrors(w, http.StatusBadRequest, "A maximum of 10 field IDs can be specified.")
		return
	}
	size := JiraChangelogBulkDefault
	if req.MaxResults != nil {
		size = *req.MaxResults
		if size < 1 || size > JiraChangelogBulkMax {
			writeJiraErrors(w, http.StatusBadRequest, fmt.Sprintf("maxResults must be between 1 and %d.", JiraChangelogBulkMax))
			return
		}
	}
	digest := jqlDigest(strings.Join(req.IssueIDsOrKeys, "\x00") + "\x01" + strings.Join(req.FieldIDs, "\x00"))
	offset := 0
	if req.NextPageToken != "" {
		var ok bool
		if offset, ok = parseChangelogToken(req.NextPageToken, digest); !ok {
			writeJiraErrors(w, http.StatusBadRequest, "The nextPageToken is invalid or does not belong to this request.")
			return
		}
	}

	var refs []jiraRef
	for _, v := range req.IssueIDsOrKeys {
		if ref, ok := c.findIssue(strings.TrimSpace(v)); ok {
			refs = append(refs, ref)
		}
	}
	out := struct {
		IssueChangeLogs []jiraIssueChangeLog `json:"issueChangeLogs"`
		NextPageToken   string               `json:"nextPageToken,omitempty"`
	}{IssueChangeLogs: []jiraIssueChangeLog{}}
	seen, taken, more := 0, 0, false
	for _, ref := range sortedUnique(refs) {
		iss := genJiraIssue(ref, c.site)
		if iss.vanished || iss.forbidden {
			continue
		}
		if taken == size {
			// The page is full: another follows if anything is left.
			if more = c.hasChanges(iss, req.FieldIDs); more {
				break
			}
			continue
		}
		entries := c.changes(iss, req.FieldIDs, offset-seen, size-taken)
		seen += entries.count
		taken += len(entries.histories)
		if len(entries.histories) > 0 {
			out.IssueChangeLogs = append(out.IssueChangeLogs, jiraIssueChangeLog{
				IssueID: strconv.FormatInt(ref.id(), 10), ChangeHistories: entries.histories,
			})
		}
		if taken == size && seen > offset+taken {
			more = true
			break
		}
	}
	if more {
		out.NextPageToken = changelogToken(offset+taken, digest)
	}
	writeJSON(w, http.StatusOK, out)
}

type issueChanges struct {
	count     int // entries of the issue that match
	histories []jiraHistoryJSON
}

// changes returns the matching entries of iss from skip on, at most
// limit of them, with the count of all matching entries.
func (c *jiraCall) changes(iss *jiraIssue, fieldIDs []string, skip, limit int) issueChanges {
	var out issueChanges
	if len(fieldIDs) == 0 {
		// Without a filter the count is known and only the page is drawn.
		out.count = iss.histories
		for j := max(skip, 0); j < iss.histories && len(out.histories) < limit; j++ {
			out.histories = append(out.histories, c.history(iss.history(c.me, j)))
		}
		return out
	}
	for j := range iss.histories {
		h := iss.history(c.me, j)
		h.items = slices.DeleteFunc(h.items, func(ch jiraChange) bool { return !slices.Contains(fieldIDs, ch.FieldID) })
		if len(h.items) == 0 {
			continue
		}
		if out.count >= skip && len(out.histories) < limit {
			out.histories = append(out.histories, c.history(h))
		}
		out.count++
	}
	return out
}

// hasChanges reports whether iss has any matching entry.
func (c *jiraCall) hasChanges(iss *jiraIssue, fieldIDs []string) bool {
	if len(fieldIDs) == 0 {
		return iss.histories > 0
	}
	for j := range iss.histories {
		if slices.ContainsFunc(iss.history(c.me, j).items, func(ch jiraChange) bool { return slices.Contains(fieldIDs, ch.FieldID) }) {
			return true
		}
	}
	return false
}

func changelogToken(offset int, digest uint64) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "changelog:%d:%x", offset, digest))
}

func parseChangelogToken(token string, digest uint64) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != "changelog" || parts[2] != strconv.FormatUint(digest, 16) {
		return 0, false
	}
	n, ok := parseCanonical(parts[1])
	if !ok || n < 0 || n > JiraListMax*maxJiraPerIssue {
		return 0, false
	}
	return int(n), true
}

// jiraFieldDetails is the spec's FieldDetails.
type jiraFieldDetails struct {
	ID          string        `json:"id"`
	Key         string        `json:"key"`
	Name        string        `json:"name"`
	Custom      bool          `json:"custom"`
	Orderable   bool          `json:"orderable"`
	Navigable   bool          `json:"navigable"`
	Searchable  bool          `json:"searchable"`
	ClauseNames []string      `json:"clauseNames"`
	Schema      *jiraJSONType `json:"schema,omitempty"`
}

func (s *Server) handleJiraFields(w http.ResponseWriter, _ *http.Request, c *jiraCall) {
	out := make([]jiraFieldDetails, 0, len(jiraFields))
	for _, f := range jiraFields {
		c.objects++
		d := jiraFieldDetails{ID: f.id, Key: f.id, Name: f.name, Custom: f.custom, Orderable: f.onIssue,
			Navigable: f.navigable, Searchable: true, ClauseNames: f.clauseNames}
		if f.onIssue {
			d.Schema = &f.schema
		}
		out = append(out, d)
	}
	writeJSON(w, http.StatusOK, out)
}

// jiraListWrapper is the spec's SimpleListWrapper, empty here.
type jiraListWrapper struct {
	Size       int   `json:"size"`
	Items      []any `json:"items"`
	MaxResults int   `json:"max-results"`
}

func (s *Server) handleJiraMyself(w http.ResponseWriter, _ *http.Request, c *jiraCall) {
	c.users++ // the user is what /myself returns
	writeJSON(w, http.StatusOK, struct {
		*jiraUserDetails
		Locale           string          `json:"locale"`
		Groups           jiraListWrapper `json:"groups"`
		ApplicationRoles jiraListWrapper `json:"applicationRoles"`
		Expand           string          `json:"expand"`
	}{
		jiraUserDetails:  c.user(0),
		Locale:           "en_US",
		Groups:           jiraListWrapper{Items: []any{}},
		ApplicationRoles: jiraListWrapper{Items: []any{}},
		Expand:           "groups,applicationRoles",
	})
}
