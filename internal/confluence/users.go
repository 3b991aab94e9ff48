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
func (p *Plan) finish(ctx context.Context, kind string, doc map[string]any, atts []Attachment) (*Item, error) {
	ids := map[string]bool{}
	collectIDs(doc, ids)
	if err := p.resolve(ctx, ids); err != nil {
		return nil, err
	}
	// A personal space's key is "~" and its owner's account id.
	if key := str(doc["key"]); kind == "space" && strings.HasPrefix(key, "~") {
		ids[key[1:]] = true
	}
	p.addPeople(doc)
	it := &Item{Kind: kind, ID: str(doc["id"]), Title: str(doc["title"]), Attachments: atts, doc: doc, plan: p}
	if !p.opts.KeepAccountIDs {
		p.redact(doc, ids)
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
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			if _, ok := idFields[k]; ok {
				if id := str(c); id != "" {
					ids[id] = true
				}
			}
			if k == "storage" {
				for _, m := range riUser.FindAllStringSubmatch(str(obj(c)["value"]), -1) {
					ids[html.UnescapeString(m[1])] = true
				}
			}
			if k == "atlas_doc_format" {
				var d any
				if json.Unmarshal([]byte(str(obj(c)["value"])), &d) == nil {
					mentions(d, ids)
				}
			}
			collectIDs(c, ids)
		}
	case []any:
		for _, c := range t {
			collectIDs(c, ids)
		}
	}
}

func mentions(v any, ids map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		if t["type"] == "mention" {
			if id := str(obj(t["attrs"])["id"]); id != "" {
				ids[id] = true
			}
		}
		for _, c := range t {
			mentions(c, ids)
		}
	case []any:
		for _, c := range t {
			mentions(c, ids)
		}
	}
}

// resolve asks users-bulk for the people not known yet, 250 at a time:
// each person is looked up once per export.
func (p *Plan) resolve(ctx context.Context, ids map[string]bool) error {
	// One lookup at a time, so that no batch names a person another is
	// still looking up.
	p.resolving.Lock()
	defer p.resolving.Unlock()
	p.mu.Lock()
	var want []string
	for id := range ids {
		if _, ok := p.users[id]; !ok {
			want = append(want, id)
		}
	}
	p.mu.Unlock()
	slices.Sort(want)
	for len(want) > 0 {
		n := min(usersPerCall, len(want))
		var res struct {
			Results []User `json:"results"`
		}
		err := p.opts.Client.PostJSON(ctx, v2+"/users-bulk", map[string]any{"accountIds": want[:n]}, &res, atlassian.Idempotent, atlassian.Scope(scopeUser))
		if err != nil {
			return fmt.Errorf("look up %d people: %w", n, err)
		}
		p.opts.Client.AddPoints(2 * len(res.Results))
		p.mu.Lock()
		for _, id := range want[:n] {
			p.users[id] = nil // unknown unless the answer names them
		}
		for i := range res.Results {
			u := res.Results[i]
			p.users[u.AccountID] = &u
		}
		p.mu.Unlock()
		want = want[n:]
	}
	return nil
}

// user returns the person behind an id; people users-bulk does not know
// (deleted accounts) get a placeholder.
func (p *Plan) user(id string) *User {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u := p.users[id]; u != nil {
		return u
	}
	return &User{AccountID: id, DisplayName: "Unknown user"}
}

// person is the object aumo puts beside an id field.
func (p *Plan) person(id string) map[string]any {
	u := p.user(id)
	out := map[string]any{"displayName": u.DisplayName, "emailAddress": nil}
	if u.DisplayName == "" {
		out["displayName"] = u.PublicName
	}
	if u.Email != "" {
		out["emailAddress"] = u.Email
	}
	if p.opts.KeepAccountIDs {
		out["accountId"] = id
	}
	return out
}

// addPeople puts a person object beside every id field.
func (p *Plan) addPeople(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, name := range idFields {
			if id := str(t[k]); id != "" {
				t[name] = p.person(id)
			}
		}
		for _, c := range t {
			p.addPeople(c)
		}
	case []any:
		for _, c := range t {
			p.addPeople(c)
		}
	}
}

// redact removes every account id: id fields, storage user references
// (the person's name instead), ADF mentions (their visible text only),
// and any id left inside a string.
func (p *Plan) redact(doc map[string]any, ids map[string]bool) {
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k := range idFields {
				delete(t, k)
			}
			if s := obj(t["storage"]); s != nil {
				if v, ok := s["value"].(string); ok {
					s["value"] = p.storageNames(v)
				}
			}
			if a := obj(t["atlas_doc_format"]); a != nil {
				if v, ok := a["value"].(string); ok {
					var d any
					if json.Unmarshal([]byte(v), &d) == nil {
						adfMentions(d, ids)
						if b, err := json.Marshal(d); err == nil {
							a["value"] = string(b)
						}
					}
				}
			}
			for _, c := range t {
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		}
	}
	walk(doc)
	redact.NewReplacer(ids).Walk(doc)
}

func adfMentions(v any, ids map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		if redact.Mention(t, ids) {
			return
		}
		for _, c := range t {
			adfMentions(c, ids)
		}
	case []any:
		for _, c := range t {
			adfMentions(c, ids)
		}
	}
}

// storageNames replaces storage format's user references by the person's
// name: a mention link becomes "@Name" in the text.
func (p *Plan) storageNames(s string) string {
	if !strings.Contains(s, "ri:user") {
		return s
	}
	name := func(ref string) string {
		m := riUser.FindStringSubmatch(ref)
		if m == nil {
			return ref
		}
		u := p.user(html.UnescapeString(m[1]))
		n := u.DisplayName
		if n == "" {
			n = u.PublicName
		}
		return html.EscapeString("@" + n)
	}
	s = linkedRiUser.ReplaceAllStringFunc(s, func(link string) string {
		return name(linkedRiUser.FindStringSubmatch(link)[1])
	})
	return riUser.ReplaceAllStringFunc(s, name)
}
