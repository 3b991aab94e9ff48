package export

import "math"

// Estimate is what exporting a query would cost, as `aumo export
// --estimate` tells it before any of it is spent: the items, the API
// requests, the rate-limit points, the bytes of the attachments, and the
// time.
type Estimate struct {
	Items    int64   `json:"items"`
	Requests int64   `json:"requests"`
	Points   int64   `json:"points"`
	Bytes    int64   `json:"bytes"`
	Seconds  float64 `json:"seconds"`
	// Sampled is how many items the estimate looked at in detail.
	Sampled int `json:"sampled"`
}

// EstimateOptions are the choices that change what an export costs.
type EstimateOptions struct {
	NoAttachments     bool
	MaxAttachmentSize int64 // 0: no limit
	// Quota is the rate-limit points the run may spend in an hour; zero
	// means DefaultQuota.
	Quota int64
}

// Downloads reports whether an attachment of size bytes would be
// downloaded.
func (o EstimateOptions) Downloads(size int64) bool {
	return !o.NoAttachments && (o.MaxAttachmentSize <= 0 || size <= o.MaxAttachmentSize)
}

// DefaultQuota is the rate-limit points an OAuth app may spend in an hour
// unless Atlassian granted it more: the global pool that every user of
// the app, on every site, shares.
const DefaultQuota = 65000

// What the time of an estimate assumes: the steady rate Atlassian asks
// clients to design for, and a modest download rate.
const (
	EstimateRequestsPerSecond = 10
	EstimateBytesPerSecond    = 10 << 20
)

// Timed sets Seconds: the requests at EstimateRequestsPerSecond and the
// bytes at EstimateBytesPerSecond, plus an hour for each time the points
// pass the hour's quota (a run that has spent it waits for the reset at
// the top of the hour).
func (e Estimate) Timed(quota int64) Estimate {
	if quota <= 0 {
		quota = DefaultQuota
	}
	work := float64(e.Requests)/EstimateRequestsPerSecond + float64(e.Bytes)/EstimateBytesPerSecond
	resets := int64(0)
	if e.Points > 0 {
		resets = (e.Points - 1) / quota
	}
	e.Seconds = math.Round(work + 3600*float64(resets))
	return e
}

// Scaled is the estimate of count items from one of sampled items: fixed
// is what the export costs whatever its size (a field list, the spaces),
// and perItem what the sampled items cost in all.
func Scaled(count int64, sampled int, fixed, perItem Estimate) Estimate {
	e := fixed
	e.Items, e.Sampled = count, sampled
	if sampled == 0 {
		return e
	}
	scale := func(v int64) int64 { return int64(math.Round(float64(v) * float64(count) / float64(sampled))) }
	e.Requests += scale(perItem.Requests)
	e.Points += scale(perItem.Points)
	e.Bytes += scale(perItem.Bytes)
	return e
}
