package confluence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/redact"
)

// idFields are the v2 fields that hold a bare account id, and the name of
// the person object aumo adds beside each.
var idFields = map[string]string{
	"authorId":                 "author",
	"ownerId":                  "owner",
	"lastOwnerId":              "lastOwner",
	"resolutionLastModifierId": "resolutionLastModifier",
}

// riUser finds storage format's user references: by account id, or by
// the user key of Confluence Server (pages migrated from it keep those).
var (
	riUser = regexp.MustCompile(`<ri:user\b[^>]*?\bri:(?:account-id|userkey)\s*=\s*"[^"]*"[^>]*?(?:/>|>\s*</ri:user>)`)
	// A mention: the link, with or without a link body of its own.
	linkedRiUser = regexp.MustCompile(`(?s)<ac:link\b[^>]*>\s*(<ri:user\b[^>]*?\bri:(?:account-id|userkey)\s*=\s*"[^"]*"[^>]*?(?:/>|>\s*</ri:user>))\s*(?:<ac:plain-text-link-body>.*?</ac:plain-text-link-body>|<ac:link-body>.*?</ac:link-body>)?\s*</ac:link>`)
	// riUserAttr is a user reference's account id or user key.
	riUserAttr = regexp.MustCompile(`\bri:(account-id|userkey)\s*=\s*"([^"]*)"`)
)

// userRef reads a user reference: its account id, else its user key.
func userRef(ref string) (id, key string) {
	for _, m := range riUserAttr.FindAllStringSubmatch(ref, -1) {
		v := html.UnescapeString(m[2])
		if m[1] == "account-id" && id == "" {
			id = v
		} else if m[1] == "userkey" && key == "" {
			key = v
		}
	}
	if id != "" {
		key = ""
	}
	return id, key
}

// finish names the people an item refers to, redacts it unless asked
// not to, and encodes it.
func (s *Source) finish(ctx context.Context, kind string, doc map[string]any, atts []export.Attachment) (*content, error) {
	ids, keys := map[string]bool{}, map[string]bool{}
	collectPeople(doc, ids, keys)
	if err := s.resolveKeys(ctx, keys, ids); err != nil {
		return nil, err
	}
	if err := s.resolve(ctx, ids); err != nil {
		return nil, err
	}
	// A personal space's key is "~" and its owner's account id.
	if key := str(doc["key"]); kind == "space" && strings.HasPrefix(key, "~") {
		ids[key[1:]] = true
	}
	s.addPeople(doc)
	it := &content{Kind: kind, ID: str(doc["id"]), Title: str(doc["title"]), Attachments: atts, doc: doc, src: s}
	if !s.opts.KeepAccountIDs {
		s.redact(doc, ids)
		it.redactor = redact.NewReplacer(ids)
	}
	if kind == "space" {
		it.Title = str(doc["name"])
	}
	updated := str(obj(doc["version"])["createdAt"])
	if updated == "" {
		updated = str(doc["createdAt"])
	}
	if t, err := time.Parse(time.RFC3339, updated); err == nil {
		it.Updated = t.UTC()
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	it.JSON = b
	return it, nil
}

// collectPeople finds the people an item names: account ids of id
// fields, storage user references and ADF mentions into ids, and the
// user keys of storage user references into keys (when not nil).
func collectPeople(v any, ids, keys map[string]bool) {
	redact.EachObject(v, func(t map[string]any) bool {
		for k, c := range t {
			if _, ok := idFields[k]; ok {
				if id := str(c); id != "" {
					ids[id] = true
				}
			}
		}
		for _, ref := range riUser.FindAllString(str(obj(t["storage"])["value"]), -1) {
			switch id, key := userRef(ref); {
			case id != "":
				ids[id] = true
			case key != "" && keys != nil:
				keys[key] = true
			}
		}
		if d, ok := adfBody(t); ok {
			mentions(d, ids)
		}
		return true
	})
}

// adfBody decodes the ADF body an object holds, if any.
func adfBody(t map[string]any) (any, bool) {
	a := obj(t["atlas_doc_format"])
	if a == nil {
		return nil, false
	}
	var d any
	err := json.Unmarshal([]byte(str(a["value"])), &d)
	return d, err == nil
}

func mentions(v any, ids map[string]bool) {
	redact.EachObject(v, func(t map[string]any) bool {
		if t["type"] == "mention" {
			if id := str(obj(t["attrs"])["id"]); id != "" {
				ids[id] = true
			}
		}
		return true
	})
}

// resolve asks users-bulk for the people not known yet, 250 at a time:
// each person is looked up once per export.
func (s *Source) resolve(ctx context.Context, ids map[string]bool) error {
	// One lookup at a time, so that no batch names a person another is
	// still looking up.
	s.resolving.Lock()
	defer s.resolving.Unlock()
	s.mu.Lock()
	var want []string
	for id := range ids {
		if _, ok := s.users[id]; !ok {
			want = append(want, id)
		}
	}
	s.mu.Unlock()
	slices.Sort(want)
	for len(want) > 0 {
		n := min(usersPerCall, len(want))
		var res struct {
			Results []User `json:"results"`
		}
		err := s.opts.Client.PostJSON(ctx, v2+"/users-bulk", map[string]any{"accountIds": want[:n]}, &res, atlassian.Idempotent, atlassian.Scope(scopeUser))
		if err != nil {
			return fmt.Errorf("look up %d people: %w", n, err)
		}
		s.opts.Client.Charge(v2+"/users-bulk", 2*len(res.Results))
		s.mu.Lock()
		for _, id := range want[:n] {
			s.users[id] = nil // unknown unless the answer names them
		}
		for i := range res.Results {
			u := res.Results[i]
			s.users[u.AccountID] = &u
		}
		s.mu.Unlock()
		want = want[n:]
	}
	return nil
}

// resolveKeys asks Confluence for the account ids behind the user keys
// not known yet, keysPerCall at a time, and adds them to ids. A lookup
// Confluence refuses (it needs a scope or a permission the export may
// lack) is not tried again: those people stay unknown.
func (s *Source) resolveKeys(ctx context.Context, keys, ids map[string]bool) error {
	s.resolving.Lock()
	defer s.resolving.Unlock()
	var want []string
	s.mu.Lock()
	for k := range keys {
		if _, ok := s.userKeys[k]; !ok {
			want = append(want, k)
		}
	}
	s.mu.Unlock()
	slices.Sort(want)
	for len(want) > 0 && !s.keysRefused {
		n := min(keysPerCall, len(want))
		found, err := s.lookUpKeys(ctx, want[:n])
		if refused(err) {
			s.keysRefused = true
			break
		}
		if err != nil {
			return fmt.Errorf("look up %d user keys: %w", n, err)
		}
		s.mu.Lock()
		for _, k := range want[:n] {
			s.userKeys[k] = found[k] // "" unless the answer names them
		}
		s.mu.Unlock()
		want = want[n:]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range want {
		if s.keysUnknown == nil {
			s.keysUnknown = map[string]bool{}
		}
		s.keysUnknown[k] = true // refused: never looked up
	}
	for k := range keys {
		if id := s.userKeys[k]; id != "" {
			ids[id] = true
		}
	}
	return nil
}

// Warnings are what the user should know of the run besides its items:
// people who read "@unknown user" because Confluence refused to look up
// the user keys of older content.
func (s *Source) Warnings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.keysUnknown) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("Confluence refused to look up %d user keys (user references of content from Confluence Server; the lookup needs the %s scope): those people read \"@unknown user\"", len(s.keysUnknown), scopeUserKeys)}
}

// lookUpKeys maps user keys to account ids with one call of
// /user/bulk/migration, following its next links should Confluence cut
// the answer short.
func (s *Source) lookUpKeys(ctx context.Context, keys []string) (map[string]string, error) {
	found := map[string]string{}
	path, q := v1+"/user/bulk/migration", url.Values{"key": keys, "limit": {strconv.Itoa(len(keys))}}
	for {
		var page struct {
			Results []struct {
				Key       string `json:"key"`
				AccountID string `json:"accountId"`
			} `json:"results"`
			Links struct {
				Base string `json:"base"`
				Next string `json:"next"`
			} `json:"_links"`
		}
		if err := s.opts.Client.GetJSON(ctx, path, q, &page, atlassian.Scope(scopeUserKeys)); err != nil {
			return nil, err
		}
		s.opts.Client.Charge(path, 2*len(page.Results))
		for _, r := range page.Results {
			if r.Key != "" && r.AccountID != "" {
				found[r.Key] = r.AccountID
			}
		}
		if page.Links.Next == "" || len(page.Results) == 0 {
			return found, nil
		}
		next, err := s.opts.Client.RewriteRelative(page.Links.Base, page.Links.Next)
		if err != nil {
			return nil, err
		}
		path, q = next, nil
	}
}

// refused reports whether Confluence refused a lookup: no permission, no
// such route, or a scope the token lacks.
func refused(err error) bool {
	var se *atlassian.ScopeError
	return atlassian.IsForbidden(err) || atlassian.IsNotFound(err) || errors.As(err, &se)
}

// keyAccount is the account id behind a user key, "" when unknown.
func (s *Source) keyAccount(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userKeys[key]
}

// name is the name of the person a storage user reference names, by
// account id or user key; ok is false for people not known.
func (s *Source) name(id, key string) (string, bool) {
	if id == "" && key != "" {
		id = s.keyAccount(key)
	}
	if id == "" {
		return "", false
	}
	s.mu.Lock()
	u := s.users[id]
	s.mu.Unlock()
	if u == nil {
		return "", false
	}
	n := u.DisplayName
	if n == "" {
		n = u.PublicName
	}
	return n, n != ""
}

// user returns the person behind an id; people users-bulk does not know
// (deleted accounts) get a placeholder.
func (s *Source) user(id string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[id]; u != nil {
		return u
	}
	return &User{AccountID: id, DisplayName: "Unknown user"}
}

// person is the object aumo puts beside an id field.
func (s *Source) person(id string) map[string]any {
	u := s.user(id)
	out := map[string]any{"displayName": u.DisplayName, "emailAddress": nil}
	if u.DisplayName == "" {
		out["displayName"] = u.PublicName
	}
	if u.Email != "" {
		out["emailAddress"] = u.Email
	}
	if s.opts.KeepAccountIDs {
		out["accountId"] = id
	}
	return out
}

// addPeople puts a person object beside every id field.
func (s *Source) addPeople(v any) {
	redact.EachObject(v, func(t map[string]any) bool {
		for k, name := range idFields {
			if id := str(t[k]); id != "" {
				t[name] = s.person(id)
			}
		}
		return true
	})
}

// redact removes every account id: id fields, storage user references
// (the person's name instead), ADF mentions (their visible text only),
// and any id left inside a string.
func (s *Source) redact(doc map[string]any, ids map[string]bool) {
	redact.EachObject(doc, func(t map[string]any) bool {
		for k := range idFields {
			delete(t, k)
		}
		if st := obj(t["storage"]); st != nil {
			if v, ok := st["value"].(string); ok {
				st["value"] = s.storageNames(v)
			}
		}
		if d, ok := adfBody(t); ok {
			redact.EachObject(d, func(n map[string]any) bool { return !redact.Mention(n, ids) })
			if b, err := json.Marshal(d); err == nil {
				obj(t["atlas_doc_format"])["value"] = string(b)
			}
		}
		return true
	})
	redact.NewReplacer(ids).Walk(doc)
}

// storageNames replaces storage format's user references (by account id
// or user key) by the person's name: a mention link becomes "@Name" in
// the text, and a person not known "@unknown user", as the Markdown
// converter says.
func (s *Source) storageNames(value string) string {
	if !strings.Contains(value, "ri:user") {
		return value
	}
	name := func(ref string) string {
		id, key := userRef(ref)
		n, ok := s.name(id, key)
		if !ok {
			n = "unknown user"
		}
		return html.EscapeString("@" + n)
	}
	value = linkedRiUser.ReplaceAllStringFunc(value, func(link string) string {
		return name(linkedRiUser.FindStringSubmatch(link)[1])
	})
	return riUser.ReplaceAllStringFunc(value, name)
}
