// Package redact holds what the Jira and Confluence exports share of
// aumo's privacy default: account ids, once found by field, are replaced
// wherever else they appear inside strings (URLs, rendered HTML, storage
// XHTML), and so are the ids in the links Atlassian builds to people.
package redact

import (
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Redacted replaces an account id left inside a string.
const Redacted = "redacted"

// minID is the shortest string worth chasing as an id: account ids are
// far longer, and shorter strings would hit ordinary text.
const minID = 8

// personPrefix is what comes before an account id in the links
// Atlassian builds to people.
const personPrefix = `(?:/jira/people/|/wiki/people/|ViewProfile\.jspa\?accountId=|[?&;]accountId=)`

// spacePrefix is what comes before a personal space's key less its "~":
// "~<accountId>", or "~<username>" for spaces that came from Confluence
// Server, which name a person too.
const spacePrefix = `(?:/display/~|/spaces/~|space-key="~|space-key=&quot;~|spaceKey=~|[?&;]key=~)`

// accountID is what an account id can hold: 24 hex digits,
// "557058:<uuid>", "qm:<uuid>:<uuid>" and other prefixed forms, plain or
// with ':' URL-encoded. It ends with a letter, a digit, '_' or '-':
// whatever follows (")", ".", ":", a quote, a tag) is the text around
// the link, never part of the id.
const accountID = `(?:[A-Za-z0-9_-]|:|%3[Aa])*[A-Za-z0-9_-]`

// spaceKey is what a personal space's key holds after its "~": an
// account id, or a Server username, which may hold '.', '@' and '+'
// (plain or URL-encoded) — an email address, say.
const spaceKey = `(?:[A-Za-z0-9_.@+-]|:|%3[Aa]|%40|%2[Bb])*[A-Za-z0-9_-]`

// profileLink finds the ids in the links Atlassian builds to people,
// also for people named nowhere else in the item: the prefix is group 1,
// the id group 2.
var profileLink = regexp.MustCompile(`(` + personPrefix + `)(` + accountID + `)|(` + spacePrefix + `)(` + spaceKey + `)`)

// team is what follows /jira/people/ in a link to a team, which names
// no person.
const team = "team"

// ProfileLink reports whether url links to a person: it holds one of the
// prefixes of the links Atlassian builds to people (/wiki/people/,
// /jira/people/, /display/~, /spaces/~, ?accountId=, …) followed by an
// account id or by Redacted (a team's link is no person's). The Markdown
// of both products shows such a link, once redacted, as the person's
// name alone.
func ProfileLink(url string) bool {
	for _, m := range profileLink.FindAllStringSubmatch(url, -1) {
		if m[2] != team {
			return true
		}
	}
	return false
}

// replaceProfileIDs replaces the ids of the profile links in s.
func replaceProfileIDs(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range profileLink.FindAllStringSubmatchIndex(s, -1) {
		id := [2]int{m[4], m[5]}
		if id[0] < 0 {
			id = [2]int{m[8], m[9]}
		} else if s[id[0]:id[1]] == team {
			continue
		}
		b.WriteString(s[last:id[0]])
		b.WriteString(Redacted)
		last = id[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// Replacer replaces a set of account ids inside strings.
type Replacer struct {
	rep *strings.Replacer
}

// NewReplacer returns a replacer of ids, plain and URL-encoded; the
// longest is replaced first, so that no id hides part of another.
func NewReplacer(ids map[string]bool) *Replacer {
	list := make([]string, 0, 3*len(ids))
	for id := range ids {
		if len(id) < minID {
			continue
		}
		// Ids such as "557058:<uuid>" also appear URL-encoded in links.
		list = append(list, id, url.QueryEscape(id), strings.ReplaceAll(url.QueryEscape(id), "%3A", "%3a"))
	}
	slices.Sort(list)
	list = slices.Compact(list)
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	pairs := make([]string, 0, 2*len(list))
	for _, id := range list {
		pairs = append(pairs, id, Redacted)
	}
	return &Replacer{rep: strings.NewReplacer(pairs...)}
}

// String returns s without the ids and without the ids of profile links.
func (r *Replacer) String(s string) string {
	return replaceProfileIDs(r.rep.Replace(s))
}

// Walk replaces the ids in every string of a decoded JSON value, in place.
func (r *Replacer) Walk(v any) any {
	switch t := v.(type) {
	case string:
		return r.String(t)
	case map[string]any:
		for k, c := range t {
			t[k] = r.Walk(c)
		}
	case []any:
		for i, c := range t {
			t[i] = r.Walk(c)
		}
	}
	return v
}

// Mention reduces an ADF mention node to its visible text, collecting
// its id; it reports whether node was a mention.
func Mention(node map[string]any, ids map[string]bool) bool {
	if node["type"] != "mention" {
		return false
	}
	if attrs, ok := node["attrs"].(map[string]any); ok {
		if id, ok := attrs["id"].(string); ok {
			ids[id] = true
		}
		node["attrs"] = map[string]any{"text": attrs["text"]}
	}
	return true
}

// EachObject calls fn for every object of a decoded JSON value, each
// before the values it holds; when fn returns false, what the object
// holds is left out. fn may change the object it is given.
func EachObject(v any, fn func(map[string]any) bool) {
	switch t := v.(type) {
	case map[string]any:
		if !fn(t) {
			return
		}
		for _, c := range t {
			EachObject(c, fn)
		}
	case []any:
		for _, c := range t {
			EachObject(c, fn)
		}
	}
}
