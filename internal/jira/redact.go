package jira

import "github.com/aumo-cli/aumo/internal/redact"

// Redacted replaces an account id left inside a string.
const Redacted = redact.Redacted

// userFields are the changelog fields whose from/to hold account ids.
var userFields = map[string]bool{"assignee": true, "reporter": true, "creator": true}

// redactor removes Atlassian account ids from an issue, as aumo's privacy
// policy asks by default: user objects keep displayName and emailAddress;
// user-valued changelog from/to become null (fromString/toString keep the
// names); ADF mention nodes keep their visible text; any id left inside a
// string (URLs, rendered HTML) becomes "redacted".
type redactor struct {
	// userFieldIDs are custom fields whose schema says they hold users.
	userFieldIDs map[string]bool
}

// issue redacts a decoded issue in place.
func (r *redactor) issue(v any) {
	ids := map[string]bool{}
	r.walk(v, ids)
	replaceIDs(v, ids)
}

// walk removes ids from user objects, changelog items and mention nodes,
// collecting every id it removes.
func (r *redactor) walk(v any, ids map[string]bool) {
	redact.EachObject(v, func(t map[string]any) bool {
		if id, ok := t["accountId"].(string); ok {
			// Any object that names an account: a full user object loses
			// its links too, a bare reference just the id.
			ids[id] = true
			if isUser(t) {
				delete(t, "self")
				delete(t, "avatarUrls")
			}
			delete(t, "accountId")
		}
		redact.Mention(t, ids)
		if field, ok := t["field"].(string); ok && (userFields[field] || r.userFieldIDs[fieldID(t)]) {
			forgetUsers(t, ids)
		}
		return true
	})
}

// forgetUsers empties the from and to of a changelog item whose field
// holds users, collecting their ids.
func forgetUsers(item map[string]any, ids map[string]bool) {
	for _, k := range []string{"from", "to"} {
		if id, ok := item[k].(string); ok && id != "" {
			ids[id] = true
		}
		if _, ok := item[k]; ok {
			item[k] = nil
		}
	}
}

func fieldID(item map[string]any) string {
	if id, ok := item["fieldId"].(string); ok {
		return id
	}
	return ""
}

// isUser tells a full user object (with links to the person) by the
// company its accountId keeps.
func isUser(m map[string]any) bool {
	_, name := m["displayName"]
	_, typ := m["accountType"]
	_, avatars := m["avatarUrls"]
	return name || typ || avatars
}

// replaceIDs replaces every collected id inside strings.
func replaceIDs(v any, ids map[string]bool) {
	redact.NewReplacer(ids).Walk(v)
}
