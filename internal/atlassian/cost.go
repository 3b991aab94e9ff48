package atlassian

import (
	"maps"
	"strings"
	"sync"
)

// Cost is what the requests to one endpoint spent: how many were sent
// (retries included) and the rate-limit points they cost, by Atlassian's
// rule — one per request, one per core object returned, two per user.
type Cost struct {
	Requests int64 `json:"requests"`
	Points   int64 `json:"points"`
}

// ledger keeps the cost of each endpoint. Its zero value is ready.
type ledger struct {
	mu    sync.Mutex
	costs map[string]Cost
}

func (l *ledger) add(endpoint string, requests, points int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.costs == nil {
		l.costs = map[string]Cost{}
	}
	c := l.costs[endpoint]
	c.Requests += requests
	c.Points += points
	l.costs[endpoint] = c
}

func (l *ledger) snapshot() map[string]Cost {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.costs)
}

// Endpoint names the endpoint a path under the gateway base belongs to:
// the path with its query cut and each segment that holds a digit — an
// id, an issue key, an account id — written {id}, except the API's
// version ("/rest/api/3", "/wiki/api/v2"). So
// "/rest/api/3/issue/10001/comment" is "/rest/api/3/issue/{id}/comment".
func Endpoint(path string) string {
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if i > 0 && segs[i-1] == "api" {
			continue
		}
		if strings.ContainsAny(s, "0123456789") {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}

// Charge adds n points to the endpoint of path (as given to GetJSON or
// PostJSON, a link RewriteLink returned among them): what its answer
// returned beyond the request itself, one per core object (an issue, a
// page, a comment) and two per user. Only the caller knows what it got
// back; the request's own point the Client counts itself.
func (c *Client) Charge(path string, n int) {
	if target, err := c.resolve(path); err == nil {
		path = strings.TrimPrefix(target.Path, c.base.Path)
	}
	c.points.Add(int64(n))
	c.ledger.add(Endpoint(path), 0, int64(n))
}

// chargeRequest counts one request to path and its point.
func (c *Client) chargeRequest(path string) {
	c.requests.Add(1)
	c.points.Add(1)
	c.ledger.add(Endpoint(path), 1, 1)
}
