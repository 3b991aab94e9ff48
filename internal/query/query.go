// Package query rewrites the JQL and CQL that aumo sends, all in one place:
// the window of --since and --incremental runs, the content types added to
// a CQL query that names none, and the quoting of values. The rewriting
// never looks inside quoted text, and keeps an ORDER BY at the end.
package query

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	quotedText = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	orderBy    = regexp.MustCompile(`(?i)\border\s+by\b`)
	typeClause = regexp.MustCompile(`(?i)(^|[\s(])type\s*(=|!=|~|\bin\b|\bnot\s+in\b)`)
)

// ContentTypes is the clause a CQL query gets when it names no content
// type: aumo exports pages and blog posts.
const ContentTypes = "type in (page, blogpost)"

// bare hides quoted text (keeping its length), so that what the patterns
// find is the query's own syntax.
func bare(q string) string {
	return quotedText.ReplaceAllStringFunc(q, func(s string) string { return strings.Repeat("x", len(s)) })
}

// And adds clause to q with AND, before the ORDER BY if there is one.
func And(q, clause string) string {
	where, order := splitOrder(q)
	if strings.TrimSpace(where) == "" {
		return clause + order
	}
	return fmt.Sprintf("(%s) AND %s%s", where, clause, order)
}

// splitOrder cuts q before its last ORDER BY outside quoted text; order
// keeps a leading space.
func splitOrder(q string) (where, order string) {
	loc := orderBy.FindAllStringIndex(bare(q), -1)
	if len(loc) == 0 {
		return q, ""
	}
	at := loc[len(loc)-1][0]
	return strings.TrimSpace(q[:at]), " " + strings.TrimSpace(q[at:])
}

// WithContentTypes adds ContentTypes to a CQL query that names no content
// type; a blank query stays as it is.
func WithContentTypes(cql string) string {
	if strings.TrimSpace(cql) == "" || typeClause.MatchString(bare(cql)) {
		return cql
	}
	return And(cql, ContentTypes)
}

// Age writes a window of minutes as JQL and CQL take a relative age:
// minutes while they are few, then whole hours or days, rounded up, so
// that the window only ever widens.
func Age(minutes int) string {
	switch {
	case minutes <= 10_000:
		return fmt.Sprintf("%dm", minutes)
	case minutes <= 60*10_000:
		return fmt.Sprintf("%dh", (minutes+59)/60)
	}
	return fmt.Sprintf("%dd", (minutes+24*60-1)/(24*60))
}

// UpdatedWithin is the JQL clause of what was updated in the last minutes.
// Relative windows avoid the time-zone trap of absolute dates, which
// Atlassian reads in the user's profile time zone.
func UpdatedWithin(minutes int) string { return "updated >= -" + Age(minutes) }

// ModifiedWithin is the CQL clause of what was modified in the last
// minutes.
func ModifiedWithin(minutes int) string { return `lastmodified >= now("-` + Age(minutes) + `")` }

// QuoteCQL quotes a CQL string value.
func QuoteCQL(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// QuoteCQLList quotes values for a CQL "in (…)" list.
func QuoteCQLList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = QuoteCQL(v)
	}
	return "(" + strings.Join(quoted, ", ") + ")"
}
