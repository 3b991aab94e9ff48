package sandbox

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

type testPage struct {
	Items []TestItem `json:"items"`
	Next  string     `json:"next"`
}

func (s *sandbox) page(t *testing.T, path, token string) testPage {
	t.Helper()
	r := s.get(path, token)
	wantStatus(t, path, r, http.StatusOK)
	var p testPage
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("%s: %v", r.body, err)
	}
	return p
}

func TestTestItemsPaging(t *testing.T) {
	s := start(t, Options{})
	const n = 237
	s.SetTestItems(n, 99)
	tk := s.login()

	var keys []string
	pages, cursor := 0, ""
	for {
		q := url.Values{"limit": {"100"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		p := s.page(t, itemsPath+"?"+q.Encode(), tk.AccessToken)
		pages++
		for _, it := range p.Items {
			keys = append(keys, it.Key)
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if pages != 3 || len(keys) != n {
		t.Fatalf("%d pages, %d items; want 3 and %d", pages, len(keys), n)
	}
	for i, k := range keys {
		if k != "T-"+strconv.Itoa(i+1) {
			t.Fatalf("item %d is %s: the walk skipped or repeated", i, k)
		}
	}
}

func TestTestItemsPageSize(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(500, 1)
	tk := s.login()
	if p := s.page(t, itemsPath, tk.AccessToken); len(p.Items) != DefaultTestPageSize || p.Next == "" {
		t.Errorf("default page: %d items, next %q", len(p.Items), p.Next)
	}
	if p := s.page(t, itemsPath+"?limit=1000", tk.AccessToken); len(p.Items) != MaxTestPageSize {
		t.Errorf("limit=1000: %d items, want the cap %d", len(p.Items), MaxTestPageSize)
	}
	for _, q := range []string{"limit=0", "limit=-1", "limit=ten", "cursor=garbage", "cursor=" + testCursor(-1), "cursor=b2Zmc2V0OjAx"} {
		r := s.get(itemsPath+"?"+q, tk.AccessToken)
		wantStatus(t, q, r, http.StatusBadRequest)
		if r.json(t)["code"] != float64(400) {
			t.Errorf("%s: body %s", q, r.body)
		}
	}
	// A cursor past the end is an empty last page.
	for _, offset := range []int{600, math.MaxInt} {
		if p := s.page(t, itemsPath+"?cursor="+testCursor(offset), tk.AccessToken); len(p.Items) != 0 || p.Next != "" {
			t.Errorf("cursor at %d: %+v", offset, p)
		}
	}
}

func TestTestItemsEmptyByDefault(t *testing.T) {
	s := start(t, Options{})
	r := s.get(itemsPath, s.login().AccessToken)
	wantStatus(t, "empty", r, http.StatusOK)
	if strings.TrimSpace(string(r.body)) != `{"items":[],"next":""}` {
		t.Errorf("body %s", r.body)
	}
}

// TestTestItemsAreLazy pages at the far end of the largest collection,
// which could not be built in memory.
func TestTestItemsAreLazy(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(MaxTestItems+10, 5)
	tk := s.login()
	p := s.page(t, itemsPath+"?limit=5&cursor="+testCursor(MaxTestItems-2), tk.AccessToken)
	if len(p.Items) != 2 || p.Next != "" || p.Items[1].Key != "T-"+strconv.Itoa(MaxTestItems) {
		t.Fatalf("last page %+v", p)
	}
	last := p.Items[1]
	r := s.get(itemsPath+"/"+last.ID, tk.AccessToken)
	if last.Vanished {
		wantStatus(t, "last item", r, http.StatusNotFound)
	} else {
		wantStatus(t, "last item", r, http.StatusOK)
	}
}

func TestTestItemsRefuse(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(10, 1)
	tk := s.login()
	wantUnauthorized(t, s.get(itemsPath, ""), MessageUnauthorized)
	wantUnauthorized(t, s.get(itemsPath+"/10000", ""), MessageUnauthorized)
	wantStatus(t, "unknown site", s.get("/ex/test/no-such-cloud/items", tk.AccessToken), http.StatusNotFound)
	for _, id := range []string{"9999", "10010", "010000", "+10000", "T-1", "1e4"} {
		wantStatus(t, "item "+id, s.get(itemsPath+"/"+id, tk.AccessToken), http.StatusNotFound)
	}
	// Any valid token will do, whatever its scopes.
	s.SetWithheldScopes(KnownScopes[1:]...)
	wantStatus(t, "one scope", s.get(itemsPath, s.login().AccessToken), http.StatusOK)
}

func TestTestItemFetch(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(60, 3)
	tk := s.login()
	p := s.page(t, itemsPath+"?limit=60", tk.AccessToken)
	var vanished []string
	for i, listed := range p.Items {
		want, ok := s.TestItemAt(DefaultSites[0].CloudID, i)
		shown := want
		shown.Vanished = false // not part of the JSON
		if !ok || !reflect.DeepEqual(shown, listed) {
			t.Errorf("item %d: TestItemAt %+v, listed %+v", i, want, listed)
		}
		r := s.get(itemsPath+"/"+listed.ID, tk.AccessToken)
		if want.Vanished {
			wantStatus(t, listed.Key, r, http.StatusNotFound)
			vanished = append(vanished, listed.Key)
			continue
		}
		wantStatus(t, listed.Key, r, http.StatusOK)
		var got TestItem
		if err := json.Unmarshal(r.body, &got); err != nil || !reflect.DeepEqual(got, listed) {
			t.Errorf("%s: fetched %s, listed %+v", listed.Key, r.body, listed)
		}
	}
	if !slices.Equal(vanished, []string{"T-25", "T-50"}) {
		t.Errorf("vanished %v, want T-25 and T-50", vanished)
	}
}

func TestTestItemsDifferBySiteAndSeed(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(5, 1)
	tk := s.login()
	a := s.page(t, itemsPath, tk.AccessToken)
	b := s.page(t, "/ex/test/"+DefaultSites[1].CloudID+"/items", tk.AccessToken)
	again := s.page(t, itemsPath, tk.AccessToken)
	if !reflect.DeepEqual(a, again) {
		t.Error("the same collection read twice differs")
	}
	if reflect.DeepEqual(a, b) {
		t.Error("two sites have the same collection")
	}
	if a.Items[0].ID != b.Items[0].ID {
		t.Errorf("ids %s and %s: ids depend on position only", a.Items[0].ID, b.Items[0].ID)
	}
	s.SetTestItems(5, 2)
	if reflect.DeepEqual(a, s.page(t, itemsPath, tk.AccessToken)) {
		t.Error("another seed gives the same collection")
	}
}

func TestTestItemsHostileNames(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(7, 11)
	var (
		names      []string
		duplicates bool
	)
	for i := range 7 {
		it, _ := s.TestItemAt(DefaultSites[0].CloudID, i)
		seen := map[string]bool{}
		for _, a := range it.Attachments {
			names = append(names, a.Filename)
			duplicates = duplicates || seen[a.Filename]
			seen[a.Filename] = true
		}
	}
	has := func(f func(string) bool) bool { return slices.ContainsFunc(names, f) }
	checks := map[string]bool{
		"path traversal":      slices.Contains(names, "../../etc/passwd"),
		"duplicates":          duplicates,
		"long unicode":        has(func(n string) bool { return len(n) > 255 && utf8.RuneCountInString(n) > 255 && !isASCII(n) }),
		"reserved on Windows": slices.Contains(names, "con.txt"),
		"control characters":  has(func(n string) bool { return strings.ContainsAny(n, "\t\n\r\x1b\x7f") }),
		"absolute path":       slices.Contains(names, "/etc/shadow"),
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf("no %s name among %q", what, names)
		}
	}
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// TestTestItemsGolden pins the generator: the same seed must give the
// same collection in every version, or recorded expectations drift.
func TestTestItemsGolden(t *testing.T) {
	s := start(t, Options{})
	s.SetTestItems(8, 42)
	golden(t, "test-items-page.json", s.get(itemsPath, s.login().AccessToken).body)
}
