package confluence

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// bodiesPage is how many results Confluence returns a page when a
// search expands their bodies, whatever limit it was asked for.
const bodiesPage = 50

// estimateSample is how many pages or blog posts --estimate looks at in
// detail: few enough that their comments and attachments fit a page or
// two of the content search.
const estimateSample = 20

// Estimate tells what exporting the query would cost, from at most five
// requests: the search's first page (its total, and which hits have
// comments, attachments and many labels), the bodies of a sample of its
// hits (one request per kind, for the people they name), the number of
// the sample's comments, and its attachments with their sizes; the
// sample's cost is scaled to the total.
func (s *Source) Estimate(ctx context.Context, o export.EstimateOptions) (export.Estimate, error) {
	first, err := s.search(ctx, s.cql, listExpand, "", "")
	if err != nil || first.TotalSize == 0 {
		return export.Estimate{}, err
	}
	var hits []*hit
	spaces, folders := map[string]bool{}, map[string]bool{}
	for _, r := range first.Results {
		c := r.Content
		if c.Type != exportformat.KindPage && c.Type != exportformat.KindBlogpost {
			continue
		}
		spaces[c.Space.ID.String()] = true
		for _, a := range c.Ancestors {
			if a.Type == exportformat.KindFolder {
				folders[a.ID] = true
			}
		}
		if len(hits) < estimateSample {
			hits = append(hits, newHit(c, ""))
		}
	}
	if len(hits) == 0 {
		return export.Estimate{Items: first.TotalSize}, nil
	}
	people, err := s.samplePeople(ctx, hits)
	if err != nil {
		return export.Estimate{}, err
	}
	children, err := s.sampleChildren(ctx, hits)
	if err != nil {
		return export.Estimate{}, err
	}
	// People recur from page to page: their number grows far slower
	// than the items', here as its square root.
	allPeople := int64(math.Round(float64(people) * math.Sqrt(float64(first.TotalSize)/float64(len(hits)))))
	share := float64(first.TotalSize) / float64(max(len(first.Results), 1))
	fixed := fixedCost(first.TotalSize, len(spaces), int64(math.Round(float64(len(folders))*share)), allPeople)
	return export.Scaled(first.TotalSize, len(hits), fixed, sampleCost(hits, children, o)), nil
}

// samplePeople fetches the sample's bodies in storage format, one
// request per kind, and returns how many people they name.
func (s *Source) samplePeople(ctx context.Context, hits []*hit) (int, error) {
	docs := map[string]map[string]any{}
	for _, kind := range []string{exportformat.KindPage, exportformat.KindBlogpost} {
		var ids []string
		for _, h := range hits {
			if h.kind == kind {
				ids = append(ids, h.id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		q := url.Values{"id": ids, "body-format": {"storage"}, "limit": {fmt.Sprint(listPage)}}
		var page struct {
			Results []map[string]any `json:"results"`
		}
		path := v2 + "/" + kind + "s"
		if err := s.opts.Client.GetJSON(ctx, path, q, &page, atlassian.Scope(scopePage)); err != nil {
			return 0, fmt.Errorf("sample the %ss: %w", kind, err)
		}
		s.opts.Client.Charge(path, len(page.Results))
		for _, d := range page.Results {
			docs[kind+str(d["id"])] = d
		}
	}
	ids, keys := map[string]bool{}, map[string]bool{}
	for _, d := range docs {
		collectPeople(d, ids, keys)
	}
	return len(ids) + len(keys), nil
}

// sampleChildren counts the comments of the sample's hits that have
// any (the search's total), and lists their attachments with their
// sizes: two requests, whatever their number.
func (s *Source) sampleChildren(ctx context.Context, hits []*hit) (sampledChildren, error) {
	var out sampledChildren
	var withComments, withAttachments []string
	for _, h := range hits {
		if h.comments {
			withComments = append(withComments, h.id)
		}
		if h.attachments {
			withAttachments = append(withAttachments, h.id)
		}
	}
	if len(withComments) > 0 {
		page, err := s.countSearch(ctx, withComments, "comment", 1)
		if err != nil {
			return out, err
		}
		out.comments = page.TotalSize
	}
	if len(withAttachments) > 0 {
		page, err := s.countSearch(ctx, withAttachments, "attachment", searchLimit)
		if err != nil {
			return out, err
		}
		for _, r := range page.Results {
			out.sizes = append(out.sizes, r.Content.Extensions.FileSize)
		}
		out.attachments = max(page.TotalSize, int64(len(page.Results)))
	}
	return out, nil
}

// sampledChildren is what the sample's comments and attachments are:
// how many, and the sizes of the attachments listed (all, or the first
// hundred).
type sampledChildren struct {
	comments, attachments int64
	sizes                 []int64
}

// countSearch searches the children of one type of the items ids, limit
// a page, for the search's total and the first page.
func (s *Source) countSearch(ctx context.Context, ids []string, typ string, limit int) (*countPage, error) {
	path := v1 + "/search"
	q := url.Values{
		"cql":    {"container in (" + strings.Join(ids, ",") + ") AND type = " + typ},
		"limit":  {fmt.Sprint(limit)},
		"expand": {"content.extensions"},
	}
	var page countPage
	if err := s.opts.Client.GetJSON(ctx, path, q, &page, atlassian.Scope(scopeSearch)); err != nil {
		return nil, fmt.Errorf("sample the %ss: %w", typ, err)
	}
	s.opts.Client.Charge(path, len(page.Results))
	return &page, nil
}

// countPage is a page of the v1 search, as far as an estimate reads it.
type countPage struct {
	Results []struct {
		Content struct {
			Extensions struct {
				FileSize int64 `json:"fileSize"`
			} `json:"extensions"`
		} `json:"content"`
	} `json:"results"`
	TotalSize int64 `json:"totalSize"`
}

// fixedCost is what an export of count items costs besides the items'
// own objects: the listing's pages, the bulk requests of each batch (two
// body formats, the batch's comments and attachments, its people), the
// spaces and folders above the items, and the people they name, looked
// up once each.
func fixedCost(count int64, spaces int, folders, people int64) export.Estimate {
	batches := (count + batchSize - 1) / batchSize
	listing := (count + searchLimit - 1) / searchLimit
	requests := listing + 4*batches + int64((spaces+listPage-1)/listPage) + folders
	return export.Estimate{Requests: requests, Points: requests + int64(spaces) + folders + 2*people}
}

// sampleCost is what the sampled items cost of their own: each listed,
// then returned in two body formats (a page with more labels than its
// hit shows fetched alone, with its first fifty labels); each comment and
// attachment listed, bodiesPage a request past the batch's first; each
// attachment downloaded.
func sampleCost(hits []*hit, kids sampledChildren, o export.EstimateOptions) export.Estimate {
	var e export.Estimate
	for _, h := range hits {
		e.Points += 3
		if h.moreLabels {
			e.Requests++
			e.Points++
		}
	}
	listed := kids.comments + kids.attachments
	e.Requests += listed / bodiesPage
	e.Points += listed + listed/bodiesPage
	// The sizes listed stand for all the attachments.
	var downloads, bytes int64
	for _, size := range kids.sizes {
		if o.Downloads(size) {
			downloads++
			bytes += size
		}
	}
	if n := int64(len(kids.sizes)); n > 0 {
		downloads, bytes = downloads*kids.attachments/n, bytes*kids.attachments/n
	}
	e.Requests += downloads
	e.Points += 2 * downloads
	e.Bytes += bytes
	return e
}
