package sandbox

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestPointsQuota(t *testing.T) {
	s, tk := startJira(t, 30, 1, JiraOptions{})
	clock := s.fakeBurstClock()
	clock.Advance(time.Hour - clock.Now().Sub(clock.Now().Truncate(time.Hour))) // at the top of an hour
	s.SetPointsQuota(40, 10*time.Second)
	search := jiraPath("/search/jql?" + url.Values{"jql": {"project = ABC"}, "fields": {"key"}, "maxResults": {"25"}}.Encode())

	// Far from the limit: the policy and the time to reset, no r.
	r := s.get(search, tk)
	wantStatus(t, "first search", r, http.StatusOK)
	if got, want := r.header.Get("Beta-RateLimit-Policy"), `"global-app-quota";q=40;w=10`; got != want {
		t.Errorf("Beta-RateLimit-Policy %q, want %q", got, want)
	}
	if got, want := r.header.Get("Beta-RateLimit"), `"global-app-quota";t=10`; got != want {
		t.Errorf("Beta-RateLimit far from the limit %q, want %q", got, want)
	}

	// 26 points spent (the request and 25 issues): 14 left, not yet near.
	clock.Advance(4 * time.Second)
	r = s.get(jiraPath("/field"), tk)
	wantStatus(t, "fields", r, http.StatusOK)
	if got, want := r.header.Get("Beta-RateLimit"), `"global-app-quota";t=6`; got != want {
		t.Errorf("Beta-RateLimit %q, want %q", got, want)
	}
	spent := s.Stats().Jira.Points
	if spent <= 40 {
		t.Fatalf("the fields did not spend the quota (%d points); the test needs more", spent)
	}

	// Spent: every API route answers 429 as Atlassian does, until the
	// window ends.
	r = s.get(search, tk)
	wantRateLimited(t, r, "jira-quota-global-based", "6")
	if got, want := r.header.Get("X-RateLimit-Reset"), clock.Now().Truncate(10*time.Second).Add(10*time.Second).UTC().Format(resetLayout); got != want {
		t.Errorf("X-RateLimit-Reset %q, want %q", got, want)
	}
	if got, want := r.header.Get("Beta-RateLimit"), `"global-app-quota";r=0;t=6`; got != want {
		t.Errorf("Beta-RateLimit when spent %q, want %q", got, want)
	}
	wantRateLimited(t, s.get("/ex/confluence/"+DefaultSites[0].CloudID+"/wiki/api/v2/pages", tk), "confluence-quota-global-based", "6")
	if st := s.Stats(); st.QuotaLimited != 2 || st.Jira.Points != spent {
		t.Errorf("refused requests: QuotaLimited %d (want 2), points %d (want %d, refusals are free)", st.QuotaLimited, st.Jira.Points, spent)
	}

	// A new window: all the points again; near the limit, r tells what
	// is left before the request.
	clock.Advance(6 * time.Second)
	wantStatus(t, "next window", s.get(search, tk), http.StatusOK)
	for range 8 { // a point each: 34 spent
		wantStatus(t, "count", s.post(jiraPath("/search/approximate-count"), tk, map[string]string{"jql": "project = ABC"}), http.StatusOK)
	}
	r = s.post(jiraPath("/search/approximate-count"), tk, map[string]string{"jql": "project = ABC"})
	if got, want := r.header.Get("Beta-RateLimit"), `"global-app-quota";r=6;t=10`; got != want {
		t.Errorf("Beta-RateLimit near the limit %q, want %q", got, want)
	}

	s.SetPointsQuota(0, 0)
	r = s.get(search, tk)
	wantStatus(t, "quota off", r, http.StatusOK)
	if r.header.Get("Beta-RateLimit-Policy") != "" {
		t.Errorf("Beta-RateLimit-Policy %q with the quota off", r.header.Get("Beta-RateLimit-Policy"))
	}
}
