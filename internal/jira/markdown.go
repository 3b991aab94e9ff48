package jira

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/pkg/adf"
)

// Markdown renders the issue for reading: YAML front matter, the main
// fields as a table, the description, every comment with its author and
// time, and the attachments as relative links. It uses the issue as
// exported (redacted unless --keep-account-ids).
func (is *Issue) Markdown(files []export.AttachmentFile) []byte {
	var doc map[string]any
	if err := json.Unmarshal(is.JSON, &doc); err != nil {
		return []byte(fmt.Sprintf("# %s\n\n(the issue's JSON could not be read: %v)\n", is.Key, err))
	}
	fields, _ := doc["fields"].(map[string]any)
	media := map[string]string{}
	for _, f := range files {
		if f.MediaID != "" {
			media[f.MediaID] = f.Path
		}
	}
	opts := adf.Options{Media: func(id string) (string, bool) { p, ok := media[id]; return p, ok }}

	var b strings.Builder
	b.WriteString("---\n")
	front := [][2]string{
		{"id", is.ID}, {"key", is.Key},
		{"type", name(fields["issuetype"])}, {"project", key(fields["project"])},
		{"status", name(fields["status"])}, {"priority", name(fields["priority"])},
		{"created", str(fields["created"])}, {"updated", str(fields["updated"])},
		{"reporter", person(fields["reporter"])}, {"assignee", person(fields["assignee"])},
		{"url", browseURL(str(doc["self"]), is.Key)},
	}
	for _, kv := range front {
		if kv[1] != "" {
			fmt.Fprintf(&b, "%s: %s\n", kv[0], yamlString(kv[1]))
		}
	}
	if labels := strs(fields["labels"]); len(labels) > 0 {
		quoted := make([]string, len(labels))
		for i, l := range labels {
			quoted[i] = yamlString(l)
		}
		fmt.Fprintf(&b, "labels: [%s]\n", strings.Join(quoted, ", "))
	}
	b.WriteString("---\n\n")

	fmt.Fprintf(&b, "# %s: %s\n\n", is.Key, oneLine(str(fields["summary"])))
	b.WriteString("| Field | Value |\n| --- | --- |\n")
	for _, row := range [][2]string{
		{"Status", name(fields["status"])}, {"Type", name(fields["issuetype"])}, {"Priority", name(fields["priority"])},
		{"Assignee", person(fields["assignee"])}, {"Reporter", person(fields["reporter"])},
		{"Labels", strings.Join(strs(fields["labels"]), ", ")}, {"Created", str(fields["created"])}, {"Updated", str(fields["updated"])},
	} {
		if row[1] != "" {
			fmt.Fprintf(&b, "| %s | %s |\n", row[0], cell(row[1]))
		}
	}
	b.WriteString("\n")

	if desc, ok := fields["description"].(map[string]any); ok {
		md, _ := adf.Convert(desc, opts)
		b.WriteString("## Description\n\n" + strings.TrimSpace(md) + "\n\n")
	}
	if container, ok := fields["comment"].(map[string]any); ok {
		comments, _ := container["comments"].([]any)
		if len(comments) > 0 {
			fmt.Fprintf(&b, "## Comments (%d)\n\n", len(comments))
			for _, c := range comments {
				cm, _ := c.(map[string]any)
				fmt.Fprintf(&b, "### %s, %s\n\n", orUnknown(person(cm["author"])), shortTime(str(cm["created"])))
				md, _ := adf.Convert(cm["body"], opts)
				b.WriteString(strings.TrimSpace(md) + "\n\n")
			}
		}
	}
	if len(files) > 0 {
		sorted := append([]export.AttachmentFile(nil), files...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
		b.WriteString("## Attachments\n\n")
		for _, f := range sorted {
			label := f.Name
			if label == "" {
				label = f.Path
			}
			fmt.Fprintf(&b, "- [%s](%s)\n", strings.NewReplacer("[", "\\[", "]", "\\]").Replace(oneLine(label)), linkPath(f.Path))
		}
		b.WriteString("\n")
	}
	return []byte(b.String())
}

func name(v any) string {
	m, _ := v.(map[string]any)
	return str(m["name"])
}

func key(v any) string {
	m, _ := v.(map[string]any)
	return str(m["key"])
}

func person(v any) string {
	m, _ := v.(map[string]any)
	return str(m["displayName"])
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func browseURL(self, key string) string {
	base, _, ok := strings.Cut(self, "/rest/api/")
	if !ok || key == "" {
		return ""
	}
	return base + "/browse/" + key
}

func shortTime(s string) string {
	if t, err := time.Parse(jiraTime, s); err == nil {
		return t.UTC().Format("2006-01-02 15:04 UTC")
	}
	return s
}

// yamlString quotes a value for YAML front matter (JSON strings are YAML).
func yamlString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func cell(s string) string { return strings.ReplaceAll(oneLine(s), "|", "\\|") }

// linkPath escapes what would end a Markdown link target early.
func linkPath(p string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(p)
}
