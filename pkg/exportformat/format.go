// Package exportformat describes aumo's export format v1: the index of
// files, the manifest, and where each kind of file lives. Programs that
// read aumo exports import it; aumo writes with it.
//
// An export is a directory or a tarball with the same layout, flat and
// keyed by stable ids:
//
//	manifest.json  index.jsonl  fields.json (Jira)
//	issues/<issueId>/issue.json  issue.md  attachments/<attachmentId>-<name>
//	pages/<pageId>/page.json  page.md  attachments/<attachmentId>-<name>
//	blogposts/<blogpostId>/blogpost.json  blogpost.md  attachments/…
//	spaces/<spaceId>.json   folders/<folderId>.json   removed/<original path>
//
// A tarball has no top-level folder, and its last two entries are
// index.jsonl then manifest.json.
package exportformat

import "time"

// Format is the manifest's format name of this version.
const Format = "aumo-export/1"

// Names of the export's own files.
const (
	ManifestName = "manifest.json"
	IndexName    = "index.jsonl"
	FieldsName   = "fields.json"
	// RemovedIndexName is the index of the files an incremental run moved
	// under removed/ (a directory export's; an extension of the
	// contract): lines like index.jsonl's, with Removed set, that are no
	// part of the export's counts.
	RemovedIndexName = "removed/index.jsonl"
	// LockName is the lock file at the top of a directory export, which
	// the run writing the export holds (an extension of the contract): no
	// part of the export. A run removes it when it ends; one that was
	// killed leaves it, to no harm.
	LockName = ".aumo.lock"
)

// Kinds of files in the index.
const (
	KindIssue      = "issue"
	KindPage       = "page"
	KindBlogpost   = "blogpost"
	KindAttachment = "attachment"
	KindMarkdown   = "markdown"
	KindSpace      = "space"
	KindFolder     = "folder"
	KindFields     = "fields"
)

// IndexLine is one line of index.jsonl: one file written, in write order.
// The last line for a path wins; a torn last line is ignored.
type IndexLine struct {
	Path    string    `json:"path"`
	Kind    string    `json:"kind"`
	ID      string    `json:"id"`
	Key     string    `json:"key,omitempty"`  // the issue key, where there is one
	Item    string    `json:"item,omitempty"` // the owning issue, page or blog post id
	Size    int64     `json:"size"`
	SHA256  string    `json:"sha256"` // lower-case hex
	Updated time.Time `json:"updated,omitzero"`
	// MediaID is the id ADF media nodes refer to (Jira's media UUID,
	// Confluence's fileId), on attachment lines where known.
	MediaID string `json:"mediaId,omitempty"`
	// Removed, on a line of removed/index.jsonl, is when an incremental
	// run found the file's item (or the attachment) gone and moved the
	// file under removed/ (an extension of the contract).
	Removed time.Time `json:"removed,omitzero"`
}

// Site identifies the Atlassian site an export came from.
type Site struct {
	CloudID string `json:"cloudId"`
	URL     string `json:"url"`
	Name    string `json:"name"`
}

// Problem is an entry of the manifest's skipped or failed list.
type Problem struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Item   string `json:"item,omitempty"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// Reasons for skipping by design.
const (
	ReasonDeleted         = "deleted"
	ReasonForbidden       = "forbidden"
	ReasonUnsupportedType = "unsupported-type"
	ReasonTooLarge        = "too-large"
	ReasonExcluded        = "excluded"
)

// Why an unfinished export's last run stopped on purpose (the
// manifest's stopped).
const (
	// StoppedMaxPoints: the run spent its budget of rate-limit points
	// (aumo export --max-points); the same command continues it.
	StoppedMaxPoints = "max-points"
)

// Redaction values of the manifest.
const (
	RedactionAccountIDs = "account-ids-removed"
	RedactionNone       = "none"
)

// Tool names the program that wrote the export.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Cost is what the requests to one API endpoint cost: how many were sent
// (retries included) and their rate-limit points.
type Cost struct {
	Requests int64 `json:"requests"`
	Points   int64 `json:"points"`
}

// AddCosts returns the sum of a and b, endpoint by endpoint, in a new map
// (nil when both are empty).
func AddCosts(a, b map[string]Cost) map[string]Cost {
	if len(a)+len(b) == 0 {
		return nil
	}
	sum := make(map[string]Cost, len(a)+len(b))
	for _, m := range []map[string]Cost{a, b} {
		for e, c := range m {
			s := sum[e]
			sum[e] = Cost{Requests: s.Requests + c.Requests, Points: s.Points + c.Points}
		}
	}
	return sum
}

// Manifest is manifest.json. Complete is true iff Failed is empty and the
// run finished.
type Manifest struct {
	Format     string           `json:"format"`
	Product    string           `json:"product"` // "jira" or "confluence"
	Site       Site             `json:"site"`
	Query      string           `json:"query"` // as the user gave it
	StartedAt  time.Time        `json:"startedAt"`
	FinishedAt time.Time        `json:"finishedAt,omitzero"`
	Complete   bool             `json:"complete"`
	Counts     map[string]int64 `json:"counts"`
	Skipped    []Problem        `json:"skipped"`
	Failed     []Problem        `json:"failed"`
	Redaction  string           `json:"redaction"`
	Tool       Tool             `json:"tool"`
	// Requests and Points are what the export cost in API calls and
	// rate-limit points (an extension of the contract).
	Requests int64 `json:"requests,omitempty"`
	Points   int64 `json:"points,omitempty"`
	// Endpoints are Requests and Points by API endpoint: its path, with
	// each id written {id} (an extension of the contract).
	Endpoints map[string]Cost `json:"endpoints,omitempty"`
	// Stopped says why the last run of an unfinished export stopped on
	// purpose before its end, such as StoppedMaxPoints; empty when it
	// did not (an extension of the contract).
	Stopped string `json:"stopped,omitempty"`
	// Options are the choices that shape the export's content (fields,
	// attachments), so that a resumed run can refuse to mix in others
	// (an extension of the contract).
	Options map[string]string `json:"options,omitempty"`
	// Incremental describes the last incremental run over this directory
	// export, or the one under way (an extension of the contract).
	Incremental *Incremental `json:"incremental,omitempty"`
	// Removed lists what incremental runs found gone: items the query no
	// longer selects (deleted, moved out of it, or no longer visible) and
	// attachments no longer on their item. Their files are under removed/
	// (Path), or deleted with --prune (no Path; listed by the run that
	// pruned them only). An extension of the contract.
	Removed []Removal `json:"removed,omitempty"`
}

// Incremental is an incremental run: the window it searched and what it
// found. While Running, the export is still the previous run's state
// with some items already updated; the next run completes it.
type Incremental struct {
	// Since is where the run's window starts: the previous run's start,
	// less a safety margin.
	Since time.Time `json:"since"`
	// StartedAt is when the run (its first attempt) started; the
	// manifest's startedAt becomes it when the run finishes.
	StartedAt time.Time `json:"startedAt"`
	Running   bool      `json:"running,omitempty"`
	// Updated counts the items written again or for the first time;
	// Removed the items found gone (the files of each, and attachments
	// gone from their items, are in the manifest's removed).
	Updated int64 `json:"updated"`
	Removed int64 `json:"removed"`
	// Pending are the items a running update found gone and is moving
	// aside: a run that completes the update removes them.
	Pending []string `json:"pending,omitempty"`
}

// Removal is a file of an item or attachment an incremental run found
// gone.
type Removal struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Key  string `json:"key,omitempty"`
	Item string `json:"item,omitempty"`
	// Path is where its file now is, under removed/; empty when pruned.
	Path string    `json:"path,omitempty"`
	At   time.Time `json:"at"`
}

// HasMarkdown reports whether items of kind are content with a directory
// of their own and a readable Markdown file: issues, pages and blog posts.
func HasMarkdown(kind string) bool {
	return kind == KindIssue || kind == KindPage || kind == KindBlogpost
}

// ItemDir is the directory of an issue, page or blog post, where its
// JSON, its Markdown and its attachments/ go: "issues/10001".
func ItemDir(kind, id string) string { return kind + "s/" + id }

// ItemPath is where an item's own JSON goes: "issues/10001/issue.json",
// "spaces/98305.json", "folders/65601.json" or fields.json.
func ItemPath(kind, id string) string {
	switch {
	case kind == KindFields:
		return FieldsName
	case HasMarkdown(kind):
		return ItemDir(kind, id) + "/" + kind + ".json"
	}
	return kind + "s/" + id + ".json"
}

// MarkdownPath is where an item's Markdown goes ("pages/123/page.md"), or
// "" for kinds that have none.
func MarkdownPath(kind, id string) string {
	if !HasMarkdown(kind) {
		return ""
	}
	return ItemDir(kind, id) + "/" + kind + ".md"
}
