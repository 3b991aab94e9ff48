package jira

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aumo-cli/aumo/internal/mdtext"
)

// list is the entries of a comment or worklog container.
func list(container any, name string) []map[string]any {
	c, _ := container.(map[string]any)
	items, _ := c[name].([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// comments are every comment, oldest first, each under its author and
// time.
func (v *view) comments() string {
	comments := list(v.fields["comment"], "comments")
	if len(comments) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(mdtext.Heading(2, fmt.Sprintf("Comments (%d)", len(comments))) + "\n")
	for _, c := range comments {
		head := orUnknown(person(c["author"])) + ", " + shortTime(str(c["created"]))
		if u := str(c["updated"]); u != "" && u != str(c["created"]) {
			head += " (edited " + shortTime(u) + ")"
		}
		if vis, ok := c["visibility"].(map[string]any); ok && str(vis["value"]) != "" {
			head += " (visible to " + str(vis["type"]) + " " + str(vis["value"]) + ")"
		}
		b.WriteString("\n" + mdtext.Heading(3, mdtext.Plain(head)) + "\n")
		if md := v.adf(c["body"]); md != "" {
			b.WriteString("\n" + md + "\n" + v.notes())
		}
	}
	return b.String()
}

// worklogs are one table: who logged how much, when, and why.
func (v *view) worklogs() string {
	logs := list(v.fields["worklog"], "worklogs")
	if len(logs) == 0 {
		return ""
	}
	rows := make([][]string, 0, len(logs))
	total := 0
	for _, w := range logs {
		secs, _ := w["timeSpentSeconds"].(float64)
		total += int(secs)
		rows = append(rows, []string{
			mdtext.Plain(shortTime(str(w["started"]))),
			mdtext.Plain(orUnknown(person(w["author"]))),
			mdtext.Plain(str(w["timeSpent"])),
			v.adfCell(w["comment"]),
		})
	}
	head := fmt.Sprintf("Worklogs (%d, %s in total)", len(logs), duration(total))
	return mdtext.Heading(2, head) + "\n\n" + table([]string{"Started", "Author", "Time spent", "Comment"}, rows)
}

// duration is a time spent in hours and minutes: "26h 30m". Jira would
// write days and weeks of the length its time-tracking settings give
// (8h and 5d by default), which the export does not hold; hours are
// what they are anywhere.
func duration(seconds int) string {
	var parts []string
	if h := seconds / 3600; h > 0 {
		parts = append(parts, fmt.Sprintf("%dh", h))
	}
	if m := seconds % 3600 / 60; m > 0 || len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("%dm", m))
	}
	return strings.Join(parts, " ")
}

// history is the changelog, oldest first, as one table: a row for each
// field changed, the time and author on the first row of each change.
func (v *view) history() string {
	cl, _ := v.doc["changelog"].(map[string]any)
	entries := list(cl, "histories")
	if len(entries) == 0 {
		return ""
	}
	// Jira lists the embedded changelog newest first, the dedicated
	// endpoints oldest first.
	sort.SliceStable(entries, func(i, j int) bool { return parseTime(entries[i]["created"]).Before(parseTime(entries[j]["created"])) })
	var rows [][]string
	for _, h := range entries {
		when := mdtext.Plain(shortTime(str(h["created"])))
		who := mdtext.Plain(orUnknown(person(h["author"])))
		if h["author"] == nil {
			who = "Jira"
		}
		items, _ := h["items"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			rows = append(rows, []string{when, who, mdtext.Plain(str(m["field"])), change(m["fromString"], m["from"]), change(m["toString"], m["to"])})
			when, who = "", ""
		}
	}
	return mdtext.Heading(2, fmt.Sprintf("History (%d)", len(entries))) + "\n\n" +
		table([]string{"When", "Who", "Field", "From", "To"}, rows)
}

// change is one side of a changed field: its shown value, else its raw
// value.
func change(shown, raw any) string {
	if s := str(shown); s != "" {
		return mdtext.Plain(s)
	}
	return mdtext.Plain(str(raw))
}

// parseTime reads a Jira time; the zero time when it is not one.
func parseTime(v any) time.Time {
	t, _ := time.Parse(jiraTime, str(v))
	return t
}
