package sandbox

import (
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Confluence Server named people by user key; pages migrated to Cloud
// keep <ri:user ri:userkey="…"/> references, which
// /rest/api/user/bulk/migration maps to account ids.

// ConfluenceMigrationDefaultLimit and ConfluenceMigrationMaxLimit bound
// limit of /rest/api/user/bulk/migration (the spec's default; the cap
// is the sandbox's "fixed system limit").
const (
	ConfluenceMigrationDefaultLimit = 200
	ConfluenceMigrationMaxLimit     = 200
)

// ConfluenceUserKey is a user key a page names.
type ConfluenceUserKey struct {
	Key string
	// AccountID and Name are the person's; both empty for a key
	// Confluence maps to no one (a Server user never migrated).
	AccountID, Name string
}

// confluenceUserKey is the user key Confluence Server gave the pool's
// user k: 32 hex digits, as Server's keys are. Negative k are keys of
// no one.
func confluenceUserKey(k int) string {
	h := fnv.New128a()
	_, _ = h.Write([]byte("confluence-userkey:" + strconv.Itoa(k)))
	return hex.EncodeToString(h.Sum(nil))
}

// userKeyRefs are the people a page's or blog post's body names by user
// key, as pool indexes (-1: a key of no one). They come from its place,
// not from the body's random draws, so the rest of the body is the same
// with or without them: every third item (from the second) names a
// person, every ninth (from the fifth) a key of no one.
func (c *cfContent) userKeyRefs() []int {
	if c.kind == kindFolder {
		return nil
	}
	var refs []int
	if c.mediaIndex%3 == 1 {
		refs = append(refs, (c.mediaIndex*7+1)%c.d.sp.opts.Users)
	}
	if c.mediaIndex%9 == 4 {
		refs = append(refs, -1)
	}
	return refs
}

// userKeyOf is the key of a reference userKeyRefs gives.
func (c *cfContent) userKeyOf(k int) string {
	if k < 0 {
		return confluenceUserKey(-1 - c.mediaIndex)
	}
	return confluenceUserKey(k)
}

// userKeyParagraph adds the body's paragraph of people named by user
// key, if any: a mention in storage; in ADF, a mention of the account
// behind the key, or the text Confluence shows for no one.
func (c *cfCall) userKeyParagraph(doc *cfDoc, ct *cfContent) {
	refs := ct.userKeyRefs()
	if len(refs) == 0 {
		return
	}
	doc.storage.WriteString("<p>Reviewed by ")
	nodes := []any{adfText("Reviewed by ")}
	for i, k := range refs {
		if i > 0 {
			doc.storage.WriteString(" and ")
			nodes = append(nodes, adfText(" and "))
		}
		doc.storage.WriteString(`<ac:link><ri:user ri:userkey="` + html.EscapeString(ct.userKeyOf(k)) + `"/></ac:link>`)
		if k < 0 {
			nodes = append(nodes, adfText("@unknown user"))
		} else {
			nodes = append(nodes, adfMention(jiraUserAt(c.me, k)))
		}
	}
	doc.storage.WriteString(".</p>")
	doc.adf = append(doc.adf, adfParagraph(append(nodes, adfText("."))...))
}

// userKeys lists the user keys of c's body, for ConfluenceItem.
func (c *cfContent) userKeys(me User) []ConfluenceUserKey {
	var out []ConfluenceUserKey
	for _, k := range c.userKeyRefs() {
		uk := ConfluenceUserKey{Key: c.userKeyOf(k)}
		if k >= 0 {
			u := jiraUserAt(me, k)
			uk.AccountID, uk.Name = u.accountID, u.name
		}
		out = append(out, uk)
	}
	return out
}

// cfMigratedUser is v1's MigratedUser.
type cfMigratedUser struct {
	Username  *string `json:"username"`
	Key       string  `json:"key"`
	AccountID string  `json:"accountId"`
}

// handleUserMigration maps user keys (key, repeated) to account ids:
// MigratedUserArray, in the order asked, each key once, unknown keys
// left out; start and limit page through the answer. Usernames are
// gone from Cloud: asking by username finds no one. No key nor username
// is 400, both are 400, and the lookup is 403 after
// RefuseConfluenceUserKeys.
func (c *cfCall) handleUserMigration(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	keys, names := q["key"], q["username"]
	switch {
	case len(keys) == 0 && len(names) == 0:
		writeV1Error(w, http.StatusBadRequest, v1BadRequest+"Either 'key' or 'username' is required")
		return
	case len(keys) > 0 && len(names) > 0:
		writeV1Error(w, http.StatusBadRequest, v1BadRequest+"Provide either 'key' or 'username', not both")
		return
	case c.keysRefused:
		writeV1Error(w, http.StatusForbidden, "com.atlassian.confluence.api.service.exceptions.PermissionException: "+
			"Only Confluence administrators may look up users")
		return
	}
	start, limit, ok := migrationPage(w, q)
	if !ok {
		return
	}
	known := c.userIndex(confluenceUserKey)
	var all []cfMigratedUser
	seen := map[string]bool{}
	for _, key := range keys {
		k, ok := known[key]
		if !ok || seen[key] {
			continue
		}
		seen[key] = true
		all = append(all, cfMigratedUser{Key: key, AccountID: jiraUserAt(c.me, k).accountID})
	}
	start = min(start, len(all))
	end := min(start+limit, len(all))
	page := all[start:end]
	if page == nil {
		page = []cfMigratedUser{}
	}
	c.users += len(page)
	links := map[string]string{"base": c.wikiBase(), "context": "/wiki"}
	if end < len(all) {
		next := url.Values{"key": keys, "start": {strconv.Itoa(end)}, "limit": {strconv.Itoa(limit)}}
		links["next"] = "/rest/api/user/bulk/migration?" + next.Encode()
	}
	writeJSON(w, http.StatusOK, struct {
		Results []cfMigratedUser  `json:"results"`
		Start   int               `json:"start"`
		Limit   int               `json:"limit"`
		Size    int               `json:"size"`
		Links   map[string]string `json:"_links"`
	}{page, start, limit, len(page), links})
}

// migrationPage reads start and limit of the lookup; on a bad value it
// answers 400 and returns false.
func migrationPage(w http.ResponseWriter, q url.Values) (start, limit int, ok bool) {
	limit = ConfluenceMigrationDefaultLimit
	for _, p := range []struct {
		name string
		v    *int
	}{{"start", &start}, {"limit", &limit}} {
		s := q.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			writeV1Error(w, http.StatusBadRequest, v1BadRequest+fmt.Sprintf("The value '%s' is not valid for the parameter '%s'.", s, p.name))
			return 0, 0, false
		}
		*p.v = n
	}
	if limit == 0 {
		limit = ConfluenceMigrationDefaultLimit
	}
	return start, min(limit, ConfluenceMigrationMaxLimit), true
}

// RefuseConfluenceUserKeys makes /rest/api/user/bulk/migration answer
// 403, as Confluence does for a user who is not a Confluence
// administrator, or answer again (refuse false).
func (s *Server) RefuseConfluenceUserKeys(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.confluence.userKeysRefused = refuse
}
