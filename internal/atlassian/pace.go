package atlassian

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultQuota is the points an OAuth app may spend per hour by default,
// across all its users and sites (ATLASSIAN-API.md §4.1).
const DefaultQuota = 65000

// paceBurstShare is the share of a window's allowance that a paced client
// may spend at once after being idle: enough not to stall on one large
// answer, too little to crowd the others out of a window.
const paceBurstShare = 10

// BudgetError is a call the points budget (Options.MaxPoints) did not
// let go: sending it could have taken the points spent past the budget.
// Once one is returned, every later call of the Client gets it too.
type BudgetError struct {
	MaxPoints int64
	Spent     int64
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("the budget of %d points (--max-points) is reached: %d spent, and the next request could pass it", e.MaxPoints, e.Spent)
}

// Quota is the points quota as a Client sees it, for a progress line.
type Quota struct {
	// Spent is what this Client spent in the current window.
	Spent int64
	// Limit is what it may spend per window: Options.PointsPerHour scaled
	// to the window, else the API's own quota (q=), else DefaultQuota.
	Limit int64
	// Window is the quota's window: an hour, unless the API names
	// another (w=).
	Window time.Duration
	// Remaining is what the API last said is left of the app's quota
	// (r=), less what this Client spent since; -1 when the API said
	// nothing (it tells only near the limit).
	Remaining int64
}

// meter decides when a request may be sent, by the points it may cost:
// not past the run's budget, not faster than the pace, and not beyond
// what the API says remains of its quota. Points count as spent when the
// Client counts them (Stats.Points); meanwhile the requests and calls
// under way hold what they may cost as reserved.
type meter struct {
	now      func() time.Time
	spent    *atomic.Int64
	onBudget func(*BudgetError)

	mu        sync.Mutex
	maxPoints int64 // 0: no budget
	perHour   int64 // 0: no pace
	// inflight are the base points of the requests admitted and not yet
	// counted; held what calls under way reserved of the budget for
	// their answers' objects. The pace and the API's quota wait for the
	// first only: a page size is what an answer may cost, not what it
	// will, and waiting for it could outlast a bucket that never holds
	// as much.
	inflight, held int64
	stop           *BudgetError // set once the budget stopped a call
	pace           bucket
	api            apiQuota
	window         window
}

func newMeter(now func() time.Time, spent *atomic.Int64, opts Options) *meter {
	m := &meter{now: now, spent: spent, onBudget: opts.OnBudget, maxPoints: max(opts.MaxPoints, 0), perHour: max(opts.PointsPerHour, 0)}
	m.window.length = time.Hour
	m.rollLocked(now(), spent.Load())
	return m
}

// bucket paces spending: it fills at the pace and holds a tenth of a
// window's allowance; what the Client spends is taken out of it, so it
// runs into debt when an answer costs more than it held.
type bucket struct {
	level   float64
	last    time.Time
	counted int64 // the points already taken out
}

// apiQuota is what the API's answers said of the app's quota.
type apiQuota struct {
	limit     int64     // q=; 0 unknown
	remaining int64     // r=, when known is set
	known     bool      // r= was given, and its window has not ended
	at        int64     // the points the Client had spent when r= came
	reset     time.Time // when the window r= belongs to ends
}

// window is the quota window the Client counts its spending in, for the
// progress line.
type window struct {
	length     time.Duration
	end        time.Time
	spentStart int64
}

// admit waits until one more request may be sent, and reserves its base
// point; releaseBase gives it back once the Client has counted it. It
// returns ctx's error, or a *BudgetError.
func (m *meter) admit(ctx context.Context, sleep func(context.Context, time.Duration) error) error {
	for {
		wait, err := m.tryAdmit()
		if err != nil || wait <= 0 {
			return err
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// tryAdmit reserves a base point and returns zero, or says how long to
// wait before asking again.
func (m *meter) tryAdmit() (time.Duration, error) {
	m.mu.Lock()
	now, spent := m.now(), m.spent.Load()
	if err := m.overBudgetLocked(spent, 1); err != nil {
		m.mu.Unlock()
		m.tell(err)
		return 0, err
	}
	wait := max(m.paceWaitLocked(now, spent), m.quotaWaitLocked(now, spent))
	if wait <= 0 {
		m.inflight++
	}
	m.mu.Unlock()
	return wait, nil
}

// reserveCall reserves what a call's answer may cost besides its
// requests' base points, under the budget: objects at perObject points
// each. A page may be asked smaller (shrinkable) so that it fits; it
// returns how many objects the call may ask for, and the points held,
// which releaseHeld gives back.
//
// A call that would fit but for what calls under way hold gets wait:
// what they hold is what their pages may return, mostly more than they
// will, and the budget must not end a run for it.
func (m *meter) reserveCall(objects, perObject int64, shrinkable bool) (n, held int64, wait bool, err error) {
	m.mu.Lock()
	if m.maxPoints == 0 {
		m.mu.Unlock()
		return objects, 0, false, nil
	}
	spent := m.spent.Load()
	// Room for the objects and for the base point of the request.
	room := (m.maxPoints - spent - m.inflight - m.held - 1) / perObject
	if shrinkable && room >= 1 {
		objects = min(objects, room)
	}
	need := 1 + objects*perObject
	if m.stop == nil && m.held > 0 && spent+m.inflight+m.held+need > m.maxPoints && spent+m.inflight+need <= m.maxPoints {
		m.mu.Unlock()
		return 0, 0, true, nil
	}
	if err := m.overBudgetLocked(spent, need); err != nil {
		m.mu.Unlock()
		m.tell(err)
		return 0, 0, false, err
	}
	m.held += objects * perObject
	m.mu.Unlock()
	return objects, objects * perObject, false, nil
}

// releaseBase gives back a request's base point, once counted.
func (m *meter) releaseBase() {
	m.mu.Lock()
	m.inflight--
	m.mu.Unlock()
}

// releaseHeld gives back what a call reserved for its answer.
func (m *meter) releaseHeld(points int64) {
	m.mu.Lock()
	m.held -= points
	m.mu.Unlock()
}

// overBudgetLocked reports whether points more could pass the budget,
// and stops the Client for good once they could.
func (m *meter) overBudgetLocked(spent, points int64) *BudgetError {
	switch {
	case m.stop != nil:
		return m.stop
	case m.maxPoints == 0 || spent+m.inflight+m.held+points <= m.maxPoints:
		return nil
	}
	m.stop = &BudgetError{MaxPoints: m.maxPoints, Spent: spent}
	return m.stop
}

// tell lets Options.OnBudget know, once, before the error is returned:
// whoever runs the export stops it before a caller mistakes the error
// for a failure of its item.
func (m *meter) tell(err *BudgetError) {
	m.mu.Lock()
	f := m.onBudget
	m.onBudget = nil
	m.mu.Unlock()
	if f != nil {
		f(err)
	}
}

// paceWaitLocked is how long until the pace allows one more point.
func (m *meter) paceWaitLocked(now time.Time, spent int64) time.Duration {
	if m.perHour == 0 {
		return 0
	}
	rate := float64(m.perHour) / time.Hour.Seconds() // points per second
	capacity := max(m.allowanceLocked()/paceBurstShare, 1)
	b := &m.pace
	if b.last.IsZero() {
		b.level, b.last, b.counted = capacity, now, spent
	}
	if dt := now.Sub(b.last); dt > 0 {
		b.level = math.Min(capacity, b.level+dt.Seconds()*rate)
		b.last = now
	}
	b.level -= float64(spent - b.counted)
	b.counted = spent
	short := 1 + float64(m.inflight) - b.level
	if short <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(short / rate * float64(time.Second)))
}

// allowanceLocked is what the pace allows per quota window.
func (m *meter) allowanceLocked() float64 {
	return float64(m.perHour) * m.window.length.Seconds() / time.Hour.Seconds()
}

// quotaWaitLocked is how long until the API's quota has a point to
// spare, by what it last said remains: the Client waits for the reset
// rather than meet a 429.
func (m *meter) quotaWaitLocked(now time.Time, spent int64) time.Duration {
	q := &m.api
	if !q.known {
		return 0
	}
	if !now.Before(q.reset) {
		q.known = false
		return 0
	}
	if q.remaining-(spent-q.at)-m.inflight >= 1 {
		return 0
	}
	return q.reset.Sub(now)
}

// observe learns the quota's policy and state from an answer's headers.
func (m *meter) observe(p quotaHeaders) {
	if !p.any() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now, spent := m.now(), m.spent.Load()
	if p.limit > 0 {
		m.api.limit = p.limit
	}
	if p.window > 0 && p.window != m.window.length {
		m.window.length = p.window
		m.pace.last = time.Time{} // refill for the new window's allowance
	}
	if p.reset < 0 {
		return
	}
	reset := now.Add(p.reset)
	m.rollLocked(now, spent)
	m.window.end = reset
	m.api.known, m.api.reset = p.remaining >= 0, reset
	if p.remaining >= 0 {
		// r= may count from before the request that carried it (the
		// sandbox's does; Atlassian does not say): the request's own
		// point is taken as spent after it.
		m.api.remaining, m.api.at = p.remaining, spent-1
	}
}

// rollLocked starts a new counting window once the current one ended.
func (m *meter) rollLocked(now time.Time, spent int64) {
	w := &m.window
	if w.end.IsZero() || !now.Before(w.end) {
		w.spentStart = spent
		w.end = now.Truncate(w.length).Add(w.length)
	}
}

// quota is the Quota as of now.
func (m *meter) quota() Quota {
	m.mu.Lock()
	defer m.mu.Unlock()
	now, spent := m.now(), m.spent.Load()
	m.rollLocked(now, spent)
	q := Quota{Spent: spent - m.window.spentStart, Window: m.window.length, Remaining: -1}
	switch {
	case m.perHour > 0:
		q.Limit = int64(math.Round(m.allowanceLocked()))
	case m.api.limit > 0:
		q.Limit = m.api.limit
	default:
		q.Limit = int64(math.Round(DefaultQuota * m.window.length.Seconds() / time.Hour.Seconds()))
	}
	if m.api.known && now.Before(m.api.reset) {
		q.Remaining = max(m.api.remaining-(spent-m.api.at), 0)
	}
	return q
}

// Quota reports the points quota as the Client sees it now.
func (c *Client) Quota() Quota { return c.meter.quota() }
