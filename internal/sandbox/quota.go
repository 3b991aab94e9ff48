package sandbox

import (
	"fmt"
	"net/http"
	"time"
)

// quotaPolicy names the sandbox's one points quota, as Atlassian names
// the default pool every OAuth app shares.
const quotaPolicy = "global-app-quota"

// nearLimitShare is the share of the quota below which answers tell
// what remains (r=): Atlassian leaves r out "when usage is far from the
// limit", and calls under a fifth left near (X-RateLimit-NearLimit).
const nearLimitShare = 5

// pointsQuota is Atlassian's hourly points quota in miniature: points
// per window, spent by the rule Stats' Points follow (JiraStats.Points,
// ConfluenceStats.Points), and given back whole when the window ends.
// Windows end at multiples of their length, as the real quota resets at
// the top of each UTC hour.
type pointsQuota struct {
	points int
	window time.Duration
	end    time.Time // when the current window ends
	spent  int
}

// roll starts a new window once the current one has ended.
func (q *pointsQuota) roll(now time.Time) {
	if now.Before(q.end) {
		return
	}
	q.end = now.Truncate(q.window).Add(q.window)
	q.spent = 0
}

// SetPointsQuota meters the API routes (every path under /ex/; not the
// media host) with a quota of points per window, in real time whatever
// Options.Now says. Each Jira or Confluence request spends what its
// product's Stats count for it in Points: one, plus one per object and
// two per user returned. A request that arrives once the window's points
// are spent gets 429 as Atlassian answers a spent quota, until the window
// ends: RateLimit-Reason "jira-quota-global-based" or
// "confluence-quota-global-based", Retry-After (whole seconds) and
// X-RateLimit-Reset (an ISO 8601 time) at the window's end; it counts in
// Stats.QuotaLimited. Every API answer while the quota is on carries
// Beta-RateLimit-Policy ("global-app-quota";q=POINTS;w=SECONDS) and
// Beta-RateLimit with t= (seconds until the window ends) and, once less
// than a fifth of the points is left, r= (the points left before the
// request). A request may end its window's points with more than was
// left: the quota is checked when a request arrives, and what it costs
// is known only once it is answered. Each call starts a fresh window;
// points or window of zero or less turn the quota off. Windows shorter
// than a second are made a second long, the unit of the headers.
func (s *Server) SetPointsQuota(points int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if points <= 0 || window <= 0 {
		s.gw.quota = nil
		return
	}
	q := &pointsQuota{points: points, window: max(window, time.Second)}
	q.roll(s.gw.burstClock())
	s.gw.quota = q
}

// chargeQuotaLocked spends the points of a request answered; s.mu is
// held.
func (s *Server) chargeQuotaLocked(points int) {
	if q := s.gw.quota; q != nil {
		q.roll(s.gw.burstClock())
		q.spent += points
	}
}

// meterQuota reports whether r may go on under the points quota, and
// answers 429 if not. Either way the answer carries the quota's headers.
func (s *Server) meterQuota(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	q := s.gw.quota
	if q == nil {
		s.mu.Unlock()
		return true
	}
	now := s.gw.burstClock()
	q.roll(now)
	left, points, window, end := q.points-q.spent, q.points, q.window, q.end
	if left <= 0 {
		s.stats.QuotaLimited++
	}
	s.mu.Unlock()

	toReset := wholeSeconds(end.Sub(now), time.Second)
	h := w.Header()
	h.Set("Beta-RateLimit-Policy", fmt.Sprintf(`%q;q=%d;w=%d`, quotaPolicy, points, int(window/time.Second)))
	state := fmt.Sprintf(`%q;t=%d`, quotaPolicy, int(toReset/time.Second))
	if left*nearLimitShare < points {
		state = fmt.Sprintf(`%q;r=%d;t=%d`, quotaPolicy, max(left, 0), int(toReset/time.Second))
	}
	h.Set("Beta-RateLimit", state)
	if left > 0 {
		return true
	}
	s.logf("sandbox: points quota spent on %s %s: retry after %s", r.Method, r.URL.Path, toReset)
	writeRateLimited(w, rateLimit{
		retryAfter: toReset,
		reason:     productOf(r.URL.Path) + "-quota-global-based",
		reset:      end,
	})
	return false
}
