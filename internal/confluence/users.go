package confluence

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"slices"
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

// riUser finds the account ids of storage format's user references.
var (
	riUser = regexp.MustCompile(`<ri:user\b[^>]*?\bri:account-id\s*=\s*"([^"]*)"[^>]*?(?:/>|>\s*</ri:user>)`)
	// A mention: the link, with or without a link body of its own.
	linkedRiUser = regexp.MustCompile(`(?s)<ac:link\b[^>]*>\s*(<ri:user\b[^>]*?\bri:account-id\s*=\s*"[^"]*"[^>]*?(?:/>|>\s*</ri:user>))\s*(?:<ac:plain-text-link-body>.*?</ac:plain-text-link-body>|<ac:link-body>.*?</ac:link-body>)?\s*</ac:link>`)
)

// finish names the people an item refers to, redacts it unless asked
// not to, and encodes it.
func (s *Source) finish(ctx context.Context, kind string, doc map[string]any, atts []export.Attachment) (*content, error) {
	ids := map[string]bool{}
	collectIDs(doc, ids)
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

// collectIDs finds the account ids an item names: id fields, storage
// user references and ADF mentions.
func collectIDs(v any, ids map[string]bool) {
	redact.EachObject(v, func(t map[string]any) bool {
		for k, c := range t {
			if _, ok := idFields[k]; ok {
				if id := str(c); id != "" {
					ids[id] = true
				}
			}
		}
		for _, m := range riUser.FindAllStringSubmatch(str(obj(t["storage"])["value"]), -1) {
			ids[html.UnescapeString(m[1])] = true
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
		s.opts.Client.AddPoints(2 * len(res.Results))
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

// storageNames replaces storage format's user references by the person's
// name: a mention link becomes "@Name" in the text.
func (s *Source) storageNames(value string) string {
	if !strings.Contains(value, "ri:user") {
		return value
	}
	name := func(ref string) string {
		m := riUser.FindStringSubmatch(ref)
		if m == nil {
			return ref
		}
		u := s.user(html.UnescapeString(m[1]))
		n := u.DisplayName
		if n == "" {
			n = u.PublicName
		}
		return html.EscapeString("@" + n)
	}
	value = linkedRiUser.ReplaceAllStringFunc(value, func(link string) string {
		return name(linkedRiUser.FindStringSubmatch(link)[1])
	})
	return riUser.ReplaceAllStringFunc(value, name)
}
