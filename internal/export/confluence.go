package export

import (
	"context"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/confluence"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// ConfluencePlan exports what a Confluence plan finds: the pages and blog
// posts with their attachments, and the spaces and folders they live in.
type ConfluencePlan struct {
	Plan   *confluence.Plan
	Client *atlassian.Client
}

var _ Plan = (*ConfluencePlan)(nil)

// Items implements Plan.
func (c *ConfluencePlan) Items(ctx context.Context, done func(kind, id string) bool, problems Problems, emit func(*Item) error) error {
	problem := func(p confluence.Problem) {
		pr := exportformat.Problem{Kind: p.Kind, ID: p.ID, Item: p.ID, Reason: p.Reason, Detail: p.Detail}
		if p.Failed {
			problems.Fail(pr)
		} else {
			problems.Skip(pr)
		}
	}
	return c.Plan.Items(ctx, done, problem, func(ci *confluence.Item) error {
		it := &Item{Kind: ci.Kind, ID: ci.ID, Updated: ci.Updated, Path: ci.Path(), JSON: ci.JSON}
		if md := ci.MarkdownPath(); md != "" {
			it.Dir = ci.Kind + "s/" + ci.ID
			it.MarkdownPath = md
			it.RenderMarkdown = func(written []AttachmentFile) []byte {
				files := make([]confluence.File, len(written))
				for i, f := range written {
					files[i] = confluence.File{ID: f.ID, Name: f.Name, Path: f.Path, MediaID: f.MediaID}
				}
				return ci.Markdown(files)
			}
		}
		for _, a := range ci.Attachments {
			path := a.Path
			it.Attachments = append(it.Attachments, Attachment{
				ID: a.ID, Name: a.Name, Size: a.Size, Updated: a.Updated, MediaID: a.FileID,
				Open: func(ctx context.Context) (*Download, error) {
					d, err := c.Client.Download(ctx, path)
					if err != nil {
						return nil, err
					}
					c.Client.AddPoints(1) // the attachment, a core object
					mediaID := a.FileID
					if mediaID == "" {
						mediaID = d.MediaID
					}
					return &Download{Body: d.Body, MediaID: mediaID}, nil
				},
			})
		}
		return emit(it)
	})
}
