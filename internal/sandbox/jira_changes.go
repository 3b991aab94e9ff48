package sandbox

import (
	"maps"
	"strings"
)

// jiraEditedSuffix is what every EditJiraIssue appends to a summary.
const jiraEditedSuffix = " (edited)"

// EditJiraIssue makes the issue key (KEY-n, the project key in any case)
// edited now, by the server's clock, on every site: its updated time
// becomes now, for JQL's updated clauses and ORDER BY updated too, and
// its summary gains " (edited)" wherever it shows, once per edit. Its
// created time, comments, worklogs, changelog and attachments (ids,
// bytes, created times) stay as they were, and so does a resolved
// issue's resolutiondate. The edit lasts until the next SetJiraProject
// of the key. EditJiraIssue returns false if there is no such issue, or
// it was deleted.
func (s *Server) EditJiraIssue(key string) bool {
	now := s.now()
	return s.changeJiraIssue(key, func(p *jiraProject, i int) {
		p.edits = maps.Clone(p.edits)
		if p.edits == nil {
			p.edits = map[int]jiraEdit{}
		}
		e := p.edits[i]
		p.edits[i] = jiraEdit{at: now, count: e.count + 1}
	})
}

// DeleteJiraIssue deletes the issue key (KEY-n) on every site: search
// and approximate-count no longer find it, /issue/bulkfetch leaves it
// out (in neither issues nor issueErrors, as for any issue that does
// not exist, unless FailJiraIssueFetch set it before), and every
// per-issue route, its attachments and their media links answer 404. The deletion lasts until the next
// SetJiraProject of the key. DeleteJiraIssue returns false if there is
// no such issue, or it was deleted already.
func (s *Server) DeleteJiraIssue(key string) bool {
	return s.changeJiraIssue(key, func(p *jiraProject, i int) {
		p.deleted = maps.Clone(p.deleted)
		if p.deleted == nil {
			p.deleted = map[int]bool{}
		}
		p.deleted[i] = true
	})
}

// FailJiraIssueFetch makes /issue/bulkfetch name the issue key (KEY-n)
// in issueErrors on every request that asks for it, by id or key, on
// every site: a cloud that never manages to load the issue, or one that
// reports there an issue that is gone, which the spec says it does not.
// It holds for a vanished or forbidden issue, and after a
// DeleteJiraIssue of the issue; the other routes answer as before. It
// lasts until the next SetJiraProject of the key. FailJiraIssueFetch
// returns false if there is no such issue, or it was deleted.
func (s *Server) FailJiraIssueFetch(key string) bool {
	return s.changeJiraIssue(key, func(p *jiraProject, i int) {
		p.failing = maps.Clone(p.failing)
		if p.failing == nil {
			p.failing = map[int]bool{}
		}
		p.failing[i] = true
	})
}

// changeJiraIssue finds the issue key and replaces its project with a
// copy that change alters, so that requests under way keep the project
// they began with.
func (s *Server) changeJiraIssue(key string, change func(p *jiraProject, i int)) bool {
	proj, num, ok := strings.Cut(key, "-")
	n, ok2 := parseCanonical(num)
	if !ok || !ok2 || n < 1 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.gw.jira
	for slot, p := range st.projects {
		if p == nil || !strings.EqualFold(p.key, proj) || n > int64(p.n) || p.deleted[int(n-1)] {
			continue
		}
		next := *p
		change(&next, int(n-1))
		st.projects[slot] = &next
		return true
	}
	return false
}
