package sandbox

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBurstWait bounds the wait a bucket announces, so that a tiny rate
// cannot overflow a Duration.
const maxBurstWait = time.Hour

// tokenBucket is Atlassian's burst limit in miniature: one bucket for the
// whole server rather than one per tenant, endpoint and method, which is
// enough to make a client slow down.
type tokenBucket struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

// take spends a token if there is one, or reports how long until there is.
func (b *tokenBucket) take(now time.Time) (time.Duration, bool) {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	wait := (1 - b.tokens) / b.rate
	if wait >= maxBurstWait.Seconds() {
		return maxBurstWait, false
	}
	return time.Duration(wait * float64(time.Second)), false
}

// SetBurstLimit limits API requests (every path under /ex/; not the media
// host, not the OAuth routes) with a token bucket that holds burst
// requests and refills at perSecond, in real time whatever Options.Now
// says. A request that finds it empty gets 429 with Retry-After (whole
// seconds until a token is back), RateLimit-Reason "jira-burst-based" or
// "confluence-burst-based" and X-RateLimit-Reset, and counts in
// Stats.BurstLimited; every answer while the limit is on carries
// X-RateLimit-Limit and X-RateLimit-Remaining. Attachment content (Jira's
// /attachment/content/{id}, Confluence's attachment downloads) has a
// bucket of its own three times as wide, as Atlassian meters it apart
// (300 a second against 100). Each call starts with full buckets;
// perSecond or burst of zero or less turns the limit off.
func (s *Server) SetBurstLimit(perSecond float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if perSecond <= 0 || burst <= 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) {
		s.gw.bucket, s.gw.media = nil, nil
		return
	}
	now := s.gw.burstClock()
	s.gw.bucket = &tokenBucket{rate: perSecond, burst: float64(burst), tokens: float64(burst), last: now}
	s.gw.media = &tokenBucket{rate: 3 * perSecond, burst: 3 * float64(burst), tokens: 3 * float64(burst), last: now}
}

// isAttachmentContent reports whether path asks for an attachment's
// bytes, which have their own burst bucket.
func isAttachmentContent(path string) bool {
	return strings.Contains(path, "/rest/api/3/attachment/content/") ||
		(strings.Contains(path, "/child/attachment/") && strings.HasSuffix(path, "/download"))
}

// takeBurstToken reports whether r may go on, and answers 429 if not.
func (s *Server) takeBurstToken(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	b := s.gw.bucket
	if isAttachmentContent(r.URL.Path) {
		b = s.gw.media
	}
	if b == nil {
		s.mu.Unlock()
		return true
	}
	now := s.gw.burstClock()
	wait, ok := b.take(now)
	if !ok {
		s.stats.BurstLimited++
	}
	limit := strconv.FormatFloat(b.rate, 'f', -1, 64)
	remaining := int(b.tokens)
	s.mu.Unlock()

	if ok {
		w.Header().Set("X-RateLimit-Limit", limit)
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		return true
	}
	retry := wholeSeconds(wait, time.Second)
	s.logf("sandbox: burst limit on %s %s: retry after %s", r.Method, r.URL.Path, retry)
	writeRateLimited(w, rateLimit{
		retryAfter: retry,
		reason:     productOf(r.URL.Path) + "-burst-based",
		limit:      limit,
		remaining:  remaining,
		// In real time: the client compares it with its own clock.
		reset: time.Now().Add(wait),
	})
	return false
}
