package auth

import "strings"

// scopePurpose says what aumo cannot do without a scope, for the warnings
// after login.
var scopePurpose = map[string]string{
	"read:jira-work":                         "Jira issues, comments, worklogs, changelogs and attachments",
	"read:jira-user":                         "Jira user names",
	"read:me":                                "showing who is signed in",
	"search:confluence":                      "Confluence CQL search",
	"read:confluence-content.all":            "Confluence content bodies",
	"read:confluence-content.summary":        "Confluence content summaries",
	"read:confluence-space.summary":          "Confluence spaces (v1)",
	"readonly:content.attachment:confluence": "Confluence attachment downloads",
	"read:page:confluence":                   "Confluence pages and blog posts",
	"read:attachment:confluence":             "Confluence attachment lists",
	"read:comment:confluence":                "Confluence comments",
	"read:space:confluence":                  "Confluence spaces",
	"read:content.metadata:confluence":       "Confluence page ancestry",
	"read:user:confluence":                   "Confluence user names",
	"read:confluence-user":                   "Confluence user names (v1)",
	"read:folder:confluence":                 "Confluence folders",
	"offline_access":                         "staying signed in (a refresh token)",
}

// MissingScope is a needed scope the grant lacks.
type MissingScope struct {
	Scope   string
	Purpose string // what aumo cannot do without it; may be empty
}

// MissingScopes returns the needed scopes that granted (space separated)
// does not include, in the order needed lists them.
func MissingScopes(granted string, needed []string) []MissingScope {
	have := map[string]bool{}
	for _, s := range strings.Fields(granted) {
		have[s] = true
	}
	var missing []MissingScope
	for _, s := range needed {
		if !have[s] {
			missing = append(missing, MissingScope{Scope: s, Purpose: scopePurpose[s]})
		}
	}
	return missing
}
