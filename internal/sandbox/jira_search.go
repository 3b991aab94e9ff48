package sandbox

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// jiraSearchRequest is the spec's SearchAndReconcileRequestBean; GET
// carries the same in its query.
type jiraSearchRequest struct {
	JQL             string   `json:"jql"`
	NextPageToken   string   `json:"nextPageToken"`
	MaxResults      *int     `json:"maxResults"`
	Fields          []string `json:"fields"`
	Expand          string   `json:"expand"`
	Properties      []string `json:"properties"`
	FieldsByKeys    bool     `json:"fieldsByKeys"`
	ReconcileIssues []int64  `json:"reconcileIssues"`
}

func readJiraSearchRequest(w http.ResponseWriter, r *http.Request) (jiraSearchRequest, error) {
	var req jiraSearchRequest
	if r.Method == http.MethodPost {
		return req, decodeJiraBody(w, r, &req)
	}
	q := r.URL.Query()
	req.JQL, req.NextPageToken, req.Expand = q.Get("jql"), q.Get("nextPageToken"), strings.Join(q["expand"], ",")
	req.Fields, req.Properties = q["fields"], splitJiraList(q["properties"])
	if q.Has("maxResults") {
		n, err := jiraQueryInt(r, "maxResults", 0)
		if err != nil {
			return req, err
		}
		req.MaxResults = &n
	}
	for _, v := range splitJiraList(q["reconcileIssues"]) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return req, jiraMessage(fmt.Sprintf("The value '%s' is not valid for the parameter 'reconcileIssues'.", v))
		}
		req.ReconcileIssues = append(req.ReconcileIssues, n)
	}
	return req, nil
}

// splitJiraList reads a parameter that may repeat and hold commas.
func splitJiraList(values []string) []string {
	var out []string
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// jiraSearchResults is the spec's SearchAndReconcileResults: no total.
type jiraSearchResults struct {
	Issues        []any                   `json:"issues"` // jiraIDOnly or jiraIssueBean
	NextPageToken string                  `json:"nextPageToken,omitempty"`
	IsLast        bool                    `json:"isLast"`
	Names         map[string]string       `json:"names,omitempty"`
	Schema        map[string]jiraJSONType `json:"schema,omitempty"`
}

func (s *Server) handleJiraSearch(w http.ResponseWriter, r *http.Request, c *jiraCall) {
	req, err := readJiraSearchRequest(w, r)
	if err != nil {
		writeJiraErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(req.ReconcileIssues) > 50 {
		writeJiraErrors(w, http.StatusBadRequest, "The reconcileIssues list can contain a maximum of 50 issue IDs.")
		return
	}
	if len(req.Properties) > 5 {
		writeJiraErrors(w, http.StatusBadRequest, "A maximum of 5 issue property keys can be specified.")
		return
	}
	sel := selectJiraFields(req.Fields, "id")
	sel.expand(strings.Split(req.Expand, ","), JiraSearchChangelogs)
	sel.properties = len(req.Properties) > 0
	// Bare ids only while nothing else is asked of the issues.
	sel.idsOnly = sel.idsOnly && !sel.rendered && sel.changelog == 0 && !sel.properties
	limit := JiraSearchPageSize
	if sel.idsOnly {
		limit = JiraSearchIDsPageSize
	}
	size := JiraSearchDefaultPageSize
	if req.MaxResults != nil && *req.MaxResults > 0 {
		size = *req.MaxResults
	}
	size = min(size, limit)

	offset, ref := 0, c.now
	if req.NextPageToken != "" {
		var ok bool
		if offset, ref, ok = parseSearchToken(req.NextPageToken, req.JQL); !ok {
			writeJiraErrors(w, http.StatusBadRequest, "The nextPageToken is invalid or does not belong to this query.")
			return
		}
	}
	res, err := c.runJQL(req.JQL, ref)
	if err != nil {
		writeJiraErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	offset = min(offset, res.len())
	end := min(offset+size, res.len())
	out := jiraSearchResults{Issues: make([]any, 0, end-offset), IsLast: end >= res.len()}
	for k := offset; k < end; k++ {
		ref := res.at(k)
		if sel.idsOnly {
			// Ids need no issue drawn: a 5000-issue page costs little.
			c.objects++
			out.Issues = append(out.Issues, jiraIDOnly{ID: strconv.FormatInt(ref.id(), 10), Key: keyIf(sel.withKey, ref)})
			continue
		}
		out.Issues = append(out.Issues, c.issue(genJiraIssue(ref, c.site), sel))
	}
	c.listed += len(out.Issues)
	if !out.IsLast {
		out.NextPageToken = searchToken(end, ref, req.JQL)
	}
	out.Names, out.Schema = sel.namesAndSchema()
	writeJSON(w, http.StatusOK, out)
}

func keyIf(yes bool, ref jiraRef) string {
	if !yes {
		return ""
	}
	return ref.p.key + "-" + strconv.Itoa(ref.i+1)
}

// searchToken is the opaque nextPageToken: the offset, the time the
// search began (for periods such as -1d), and a digest of the query it
// belongs to. It never expires; Jira's last seven days.
func searchToken(offset int, ref time.Time, jql string) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "search:%d:%d:%x", offset, ref.UnixMilli(), jqlDigest(jql)))
}

func parseSearchToken(token, jql string) (int, time.Time, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, time.Time{}, false
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 4 || parts[0] != "search" || parts[3] != strconv.FormatUint(jqlDigest(jql), 16) {
		return 0, time.Time{}, false
	}
	offset, ok1 := parseCanonical(parts[1])
	ms, ok2 := parseCanonical(parts[2])
	if !ok1 || !ok2 || offset < 0 || offset > MaxJiraIssues {
		return 0, time.Time{}, false
	}
	return int(offset), time.UnixMilli(ms).UTC(), true
}

func jqlDigest(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

func (s *Server) handleJiraCount(w http.ResponseWriter, r *http.Request, c *jiraCall) {
	var req struct {
		JQL string `json:"jql"`
	}
	if err := decodeJiraBody(w, r, &req); err != nil {
		writeJiraErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	res, err := c.runJQL(req.JQL, c.now)
	if err != nil {
		writeJiraErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Count int `json:"count"`
	}{res.len()})
}

// jiraBulkFetchRequest is the spec's BulkFetchIssueRequestBean, whose
// expand, unlike search's, is an array.
type jiraBulkFetchRequest struct {
	IssueIDsOrKeys []string `json:"issueIdsOrKeys"`
	Fields         []string `json:"fields"`
	Expand         []string `json:"expand"`
	Properties     []string `json:"properties"`
	FieldsByKeys   bool     `json:"fieldsByKeys"`
}

type jiraIssueError struct {
	ID           string `json:"id"`
	ErrorMessage string `json:"errorMessage"`
}

// jiraRetriableMessage is the issueErrors entry of a retriable issue.
const jiraRetriableMessage = "The issue could not be retrieved in time. Try again."

func (s *Server) handleJiraBulkFetch(w http.ResponseWriter, r *http.Request, c *jiraCall) {
	var req jiraBulkFetchRequest
	if err := decodeJiraBody(w, r, &req); err != nil {
		writeJiraErrors(w, http.StatusBadRequest, err.Error())
		return
	}
	switch n := len(req.IssueIDsOrKeys); {
	case n == 0:
		writeJiraErrors(w, http.StatusBadRequest, "No issue IDs or keys were provided.")
		return
	case n > JiraBulkFetchMax:
		writeJiraErrors(w, http.StatusBadRequest, fmt.Sprintf("You can request up to %d issues; %d were requested.", JiraBulkFetchMax, n))
		return
	}
	if len(req.Properties) > 5 {
		writeJiraErrors(w, http.StatusBadRequest, "A maximum of 5 issue property keys can be specified.")
		return
	}
	sel := selectJiraFields(req.Fields, "*navigable")
	sel.expand(req.Expand, JiraBulkFetchChangelogs)
	sel.properties = len(req.Properties) > 0
	names, schema := sel.namesAndSchema()

	refs, failing := c.bulkTargets(req.IssueIDsOrKeys)
	out := struct {
		Issues      []jiraIssueBean  `json:"issues"`
		IssueErrors []jiraIssueError `json:"issueErrors"`
	}{Issues: []jiraIssueBean{}, IssueErrors: []jiraIssueError{}}
	for _, ref := range refs {
		iss := genJiraIssue(ref, c.site)
		switch {
		case iss.vanished || iss.forbidden:
			// The spec: issues not found or not visible are simply
			// left out, not reported.
			continue
		case iss.retriable && s.takeRetriableFailure(ref.id()):
			out.IssueErrors = append(out.IssueErrors, jiraIssueError{ID: strconv.FormatInt(ref.id(), 10), ErrorMessage: jiraRetriableMessage})
			continue
		}
		bean := c.issue(iss, sel)
		bean.Names, bean.Schema = names, schema
		out.Issues = append(out.Issues, bean)
	}
	for _, id := range failing {
		out.IssueErrors = append(out.IssueErrors, jiraIssueError{ID: strconv.FormatInt(id, 10), ErrorMessage: jiraRetriableMessage})
	}
	c.fetched += len(out.Issues)
	writeJSON(w, http.StatusOK, out)
}

// bulkTargets resolves the ids and keys a bulkfetch asks for: the
// issues to return, in id order and each once, and apart the ids of
// those FailJiraIssueFetch set, which fail whether they exist or not.
func (c *jiraCall) bulkTargets(idsOrKeys []string) ([]jiraRef, []int64) {
	var (
		refs    []jiraRef
		failing []int64
	)
	for _, v := range idsOrKeys {
		v = strings.TrimSpace(v)
		if id, ok := c.failingIssue(v); ok {
			failing = append(failing, id)
		} else if ref, ok := c.findIssue(v); ok {
			refs = append(refs, ref)
		}
	}
	slices.Sort(failing)
	return sortedUnique(refs), slices.Compact(failing)
}

// failingIssue finds idOrKey among the issues FailJiraIssueFetch set,
// deleted since or not, and returns its id.
func (c *jiraCall) failingIssue(idOrKey string) (int64, bool) {
	for _, p := range c.projects {
		if p == nil {
			continue
		}
		for i := range p.failing {
			ref := jiraRef{p, i}
			if idOrKey == strconv.FormatInt(ref.id(), 10) || strings.EqualFold(idOrKey, keyIf(true, ref)) {
				return ref.id(), true
			}
		}
	}
	return 0, false
}

// handleJiraIssue is GET /issue/{issueIdOrKey}: one issue, rendered as
// bulkfetch renders it, with every field unless fields says otherwise.
// expand embeds no changelog: the sandbox serves changelogs through
// bulkfetch and the changelog routes only.
func (s *Server) handleJiraIssue(w http.ResponseWriter, r *http.Request, c *jiraCall) {
	iss, ok := c.visibleIssue(w, r.PathValue("issueIdOrKey"))
	if !ok {
		return
	}
	q := r.URL.Query()
	sel := selectJiraFields(q["fields"], "*all")
	sel.expand(splitJiraList(q["expand"]), 0)
	sel.properties = len(splitJiraList(q["properties"])) > 0
	bean := c.issue(iss, sel)
	bean.Names, bean.Schema = sel.namesAndSchema()
	writeJSON(w, http.StatusOK, bean)
}
