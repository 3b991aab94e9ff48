package render

import (
	"encoding/json"
	"strings"
)

// rawItem is the part of an item's, a space's or a folder's JSON that the
// catalog keeps: Confluence's v2 object or Jira's issue.
type rawItem struct {
	ID         json.RawMessage `json:"id"`
	Key        string          `json:"key"`
	Name       string          `json:"name"`
	Title      string          `json:"title"`
	Status     any             `json:"status"`
	SpaceID    json.RawMessage `json:"spaceId"`
	ParentID   json.RawMessage `json:"parentId"`
	Position   *float64        `json:"position"`
	CreatedAt  string          `json:"createdAt"`
	HomepageID json.RawMessage `json:"homepageId"`
	Author     person          `json:"author"`
	Version    struct {
		Number    int64  `json:"number"`
		CreatedAt string `json:"createdAt"`
	} `json:"version"`
	Labels []struct {
		Name string `json:"name"`
	} `json:"labels"`
	Attachments []struct {
		ID    json.RawMessage `json:"id"`
		Title string          `json:"title"`
	} `json:"attachments"`
	Links struct {
		WebUI string `json:"webui"`
		Base  string `json:"base"`
	} `json:"_links"`
	Fields *struct {
		Summary    string   `json:"summary"`
		Created    string   `json:"created"`
		Updated    string   `json:"updated"`
		Labels     []string `json:"labels"`
		Attachment []struct {
			ID       json.RawMessage `json:"id"`
			Filename string          `json:"filename"`
		} `json:"attachment"`
		Reporter  *person `json:"reporter"`
		Assignee  *person `json:"assignee"`
		IssueType named   `json:"issuetype"`
		Status    named   `json:"status"`
		Priority  named   `json:"priority"`
		Project   struct {
			Key string `json:"key"`
		} `json:"project"`
	} `json:"fields"`
}

type person struct {
	DisplayName string `json:"displayName"`
}

type named struct {
	Name string `json:"name"`
}

func (p *person) name() string {
	if p == nil {
		return ""
	}
	return p.DisplayName
}

// item makes the catalog's Item of the JSON.
func (d *rawItem) item(kind, id string) *Item {
	it := &Item{Kind: kind, ID: id, names: map[string]string{}}
	for _, a := range d.Attachments {
		it.names[str(a.ID)] = a.Title
	}
	if f := d.Fields; f != nil {
		for _, a := range f.Attachment {
			it.names[str(a.ID)] = a.Filename
		}
		it.Key, it.Title, it.Project = d.Key, f.Summary, f.Project.Key
		if it.Project == "" {
			it.Project, _, _ = strings.Cut(d.Key, "-")
		}
		it.Created, it.Updated = f.Created, f.Updated
		it.Labels = f.Labels
		it.Author, it.Assignee = f.Reporter.name(), f.Assignee.name()
		it.Type, it.Status, it.Priority = f.IssueType.Name, f.Status.Name, f.Priority.Name
		return it
	}
	it.Title = d.Title
	it.Space, it.Parent = str(d.SpaceID), str(d.ParentID)
	if d.Position != nil {
		it.Position = int64(*d.Position)
	}
	it.Created, it.Updated = d.CreatedAt, d.Version.CreatedAt
	it.Author, it.Version = d.Author.DisplayName, d.Version.Number
	it.Status, _ = d.Status.(string)
	for _, l := range d.Labels {
		it.Labels = append(it.Labels, l.Name)
	}
	it.URL = d.Links.WebUI
	return it
}

// str is a JSON string or number as text; "" for anything else.
func str(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
