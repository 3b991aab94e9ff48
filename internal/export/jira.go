package export

import (
	"context"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// JiraPlan exports what a Jira plan finds: fields.json, then every issue
// with its attachments.
type JiraPlan struct {
	Plan   *jira.Plan
	Client *atlassian.Client
}

var _ Plan = (*JiraPlan)(nil)

// Items implements Plan.
func (j *JiraPlan) Items(ctx context.Context, done func(kind, id string) bool, problems Problems, emit func(*Item) error) error {
	fields, err := j.Plan.Fields(ctx)
	if err != nil {
		return err
	}
	if !done(exportformat.KindFields, "fields") {
		if err := emit(&Item{Kind: exportformat.KindFields, ID: "fields", Path: exportformat.FieldsName, JSON: fields}); err != nil {
			return err
		}
	}
	isDone := func(id string) bool { return done(exportformat.KindIssue, id) }
	problem := func(p jira.Problem) {
		pr := exportformat.Problem{Kind: exportformat.KindIssue, ID: p.ID, Item: p.ID, Reason: p.Reason, Detail: p.Detail}
		if p.Failed {
			problems.Fail(pr)
		} else {
			problems.Skip(pr)
		}
	}
	return j.Plan.Issues(ctx, isDone, problem, func(is *jira.Issue) error {
		dir := "issues/" + is.ID
		it := &Item{
			Kind: exportformat.KindIssue, ID: is.ID, Key: is.Key, Updated: is.Updated,
			Path: dir + "/issue.json", Dir: dir, JSON: is.JSON,
			MarkdownPath: dir + "/issue.md",
			RenderMarkdown: func(written []AttachmentFile) []byte {
				files := make([]jira.File, len(written))
				for i, f := range written {
					files[i] = jira.File{ID: f.ID, Name: f.Name, Path: f.Path, MediaID: f.MediaID}
				}
				return is.Markdown(files)
			},
		}
		for _, a := range is.Attachments {
			path := a.ContentPath()
			it.Attachments = append(it.Attachments, Attachment{
				ID: a.ID, Name: a.Filename, Size: a.Size, Updated: a.Created,
				Open: func(ctx context.Context) (*Download, error) {
					d, err := j.Client.Download(ctx, path)
					if err != nil {
						return nil, err
					}
					j.Client.AddPoints(1) // the attachment, a core object
					return &Download{Body: d.Body, MediaID: d.MediaID}, nil
				},
			})
		}
		return emit(it)
	})
}
