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

// profilePrefix is what comes before an account id in the links
// Atlassian builds to people. Personal spaces are keyed "~<accountId>",
// so their keys and links name a person too.
const profilePrefix = `(/jira/people/|/wiki/people/|/display/~|/spaces/~|space-key="~|space-key=&quot;~|spaceKey=~|[?&;]key=~|ViewProfile\.jspa\?accountId=|[?&;]accountId=)`

// accountID is what an account id can hold: 24 hex digits,
// "557058:<uuid>", "qm:<uuid>:<uuid>" and other prefixed forms, plain or
// with ':' URL-encoded. Whatever follows (")", ".", a quote, a tag) is
// the text around the link, never part of the id.
const accountID = `((?:[A-Za-z0-9_-]|:|%3[Aa])+)`

// profileLink finds account ids in the links Atlassian builds to people,
// also for people named nowhere else in the item.
var profileLink = regexp.MustCompile(profilePrefix + accountID)

// ProfileLink reports whether url links to a person: it holds one of the
// prefixes of the links Atlassian builds to people (/wiki/people/,
// /jira/people/, /display/~, /spaces/~, ?accountId=, …) followed by an
// account id or by Redacted. The Markdown of both products shows such a
// link, once redacted, as the person's name alone.
func ProfileLink(url string) bool {
	return profileLink.MatchString(url)
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
	return profileLink.ReplaceAllString(r.rep.Replace(s), "${1}"+Redacted)
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
