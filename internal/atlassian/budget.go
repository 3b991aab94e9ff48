package atlassian

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// holdWait is how often a call that waits for the budget's holds to
// come back asks again.
const holdWait = 20 * time.Millisecond

// pageKeys name a request's page size, in its query or JSON body.
var pageKeys = []string{"maxResults", "limit"}

// batchKeys name the lists of ids a bulk request's JSON body asks for.
var batchKeys = []string{"issueIdsOrKeys", "accountIds", "ids", "issueIds"}

// yield is what a call's answer may cost besides its base point, as far
// as its request tells: objects at perObject points each. A page size
// (page) may be asked smaller; a batch of ids may not.
type yield struct {
	objects   int64
	perObject int64
	page      string // the key of the page size, where objects is one
	inBody    bool   // the page size is in the JSON body, not the query
}

// yieldOf reads what cl may return: its page size where it has one (a
// page never holds more), else the length of its batch of ids (one
// object each), else one object. Users cost two points each. What a
// request cannot tell (the field list, a changelog page of many issues
// without a page size) may cost more than this says.
func yieldOf(cl *call) yield {
	y := yield{objects: 1, perObject: 1}
	if strings.Contains(cl.path, "/users-bulk") || strings.Contains(cl.path, "/user/bulk") {
		y.perObject = 2
	}
	if cl.stream {
		return y // the file
	}
	q := cl.target.Query()
	for _, k := range pageKeys {
		if n, err := strconv.ParseInt(q.Get(k), 10, 64); err == nil && n > 0 {
			y.objects, y.page = n, k
			return y
		}
	}
	var body map[string]json.RawMessage
	if cl.body == nil || json.Unmarshal(cl.body, &body) != nil {
		return y
	}
	for _, k := range pageKeys {
		var n int64
		if json.Unmarshal(body[k], &n) == nil && n > 0 {
			y.objects, y.page, y.inBody = n, k, true
			return y
		}
	}
	for _, k := range batchKeys {
		var ids []json.RawMessage
		if json.Unmarshal(body[k], &ids) == nil && len(ids) > 0 {
			y.objects = int64(len(ids))
			return y
		}
	}
	return y
}

// askFor makes cl ask for a page of n objects.
func (y yield) askFor(cl *call, n int64) {
	if !y.inBody {
		q := cl.target.Query()
		q.Set(y.page, strconv.FormatInt(n, 10))
		cl.target.RawQuery = q.Encode()
		return
	}
	var body map[string]json.RawMessage
	if json.Unmarshal(cl.body, &body) != nil {
		return
	}
	body[y.page] = json.RawMessage(strconv.FormatInt(n, 10))
	if b, err := json.Marshal(body); err == nil {
		cl.body = b
	}
}

// reserve holds what cl's answer may cost under the budget, asking for a
// smaller page where the budget has no room for a whole one, so that a
// run spends up to its budget and not past it. The returned func gives
// the reservation back, once the caller has counted what it got.
//
// A call that waits for others' reservations asks again every holdWait.
func (c *Client) reserve(ctx context.Context, cl *call) (func(), error) {
	if c.meter.maxPoints == 0 { // set once by New
		return func() {}, nil
	}
	y := yieldOf(cl)
	n, held, wait, err := c.meter.reserveCall(y.objects, y.perObject, y.page != "")
	for ; wait && err == nil; n, held, wait, err = c.meter.reserveCall(y.objects, y.perObject, y.page != "") {
		if err := c.sleep(ctx, holdWait); err != nil {
			return nil, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", cl.method, cl.path, err)
	}
	if n < y.objects {
		y.askFor(cl, n)
	}
	return func() { c.meter.releaseHeld(held) }, nil
}
