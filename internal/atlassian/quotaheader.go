package atlassian

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// quotaHeaders is what an answer says of the points quota:
// RateLimit-Policy ("global-app-quota";q=65000;w=3600) and RateLimit
// ("global-app-quota";r=11000;t=600), or their Beta- forms before
// Atlassian enforces them. Fields the answer left out are zero (limit,
// window) or -1 (remaining, reset).
type quotaHeaders struct {
	limit     int64
	window    time.Duration
	remaining int64
	reset     time.Duration
}

func (q quotaHeaders) any() bool {
	return q.limit > 0 || q.window > 0 || q.remaining >= 0 || q.reset >= 0
}

// parseQuotaHeaders reads the quota policies of h; the burst policies
// that may share the headers are not the quota and are left out. The
// unprefixed headers win over the Beta- ones.
func parseQuotaHeaders(h http.Header) quotaHeaders {
	q := quotaHeaders{remaining: -1, reset: -1}
	for _, name := range []string{"Beta-RateLimit-Policy", "RateLimit-Policy"} {
		for _, p := range quotaPolicies(h.Values(name)) {
			if v, ok := p["q"]; ok && v > 0 {
				q.limit = v
			}
			if v, ok := p["w"]; ok && v > 0 {
				q.window = time.Duration(v) * time.Second
			}
		}
	}
	for _, name := range []string{"Beta-RateLimit", "RateLimit"} {
		for _, p := range quotaPolicies(h.Values(name)) {
			if v, ok := p["r"]; ok && v >= 0 {
				q.remaining = v
			}
			if v, ok := p["t"]; ok && v >= 0 {
				q.reset = time.Duration(min(v, int64(maxWait/time.Second))) * time.Second
			}
		}
	}
	return q
}

// quotaPolicies parses structured-field lists such as
// `"global-app-quota";q=65000;w=3600, "jira-burst-based";q=100;w=1` and
// returns the parameters of each quota policy (a name with "quota").
// What does not parse as a whole number is left out.
func quotaPolicies(values []string) []map[string]int64 {
	var out []map[string]int64
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			parts := strings.Split(item, ";")
			name := strings.Trim(strings.TrimSpace(parts[0]), `"`)
			if !strings.Contains(strings.ToLower(name), "quota") {
				continue
			}
			params := map[string]int64{}
			for _, p := range parts[1:] {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64); ok && err == nil {
					params[strings.ToLower(strings.TrimSpace(k))] = n
				}
			}
			out = append(out, params)
		}
	}
	return out
}
