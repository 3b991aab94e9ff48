package sandbox

// The sandbox understands a sliver of JQL, enough for an exporter; what
// it accepts is on SetJiraProject. Its errors use Jira's wording where
// that is known (unbounded queries, unknown projects, "Error in the JQL
// Query: … (line 1, character N)", bad dates), so that a client's error
// handling meets here what it will meet there; what the sandbox merely
// cannot run says so instead of pretending to be Jira.

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

type jqlKind int

const (
	jqlEOF jqlKind = iota
	jqlWord
	jqlString
	jqlOp
	jqlLParen
	jqlRParen
	jqlComma
)

type jqlToken struct {
	kind jqlKind
	text string
	pos  int // 1-based character, as Jira counts
}

func (t jqlToken) is(word string) bool { return t.kind == jqlWord && strings.EqualFold(t.text, word) }

// jqlKeywords are the words that cannot be a value without quotes.
var jqlKeywords = []string{"AND", "OR", "NOT", "ORDER", "BY", "IN", "IS", "EMPTY", "NULL", "ASC", "DESC"}

func isJQLKeyword(t jqlToken) bool {
	for _, k := range jqlKeywords {
		if t.is(k) {
			return true
		}
	}
	return false
}

func jqlError(format string, args ...any) jiraMessage {
	return jiraMessage("Error in the JQL Query: " + fmt.Sprintf(format, args...))
}

func jqlAt(t jqlToken) string { return fmt.Sprintf("(line 1, character %d)", t.pos) }

func lexJQL(q string) ([]jqlToken, error) {
	rs := []rune(q)
	var out []jqlToken
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(' || r == ')' || r == ',':
			kind := map[rune]jqlKind{'(': jqlLParen, ')': jqlRParen, ',': jqlComma}[r]
			out = append(out, jqlToken{kind, string(r), i + 1})
			i++
		case r == '"' || r == '\'':
			start := i
			var b strings.Builder
			for i++; i < len(rs) && rs[i] != r; i++ {
				if rs[i] == '\\' && i+1 < len(rs) {
					i++
				}
				b.WriteRune(rs[i])
			}
			if i >= len(rs) {
				return nil, jqlError("The quoted string '%s' has not been completed. (line 1, character %d)", b.String(), start+1)
			}
			out = append(out, jqlToken{jqlString, b.String(), start + 1})
			i++
		case strings.ContainsRune("=!<>~", r):
			op := string(r)
			if i+1 < len(rs) {
				switch next := rs[i+1]; {
				case next == '=' && (r == '!' || r == '<' || r == '>'), next == '~' && r == '!':
					op += string(next)
				}
			}
			out = append(out, jqlToken{jqlOp, op, i + 1})
			i += len(op)
		default:
			start := i
			for i < len(rs) && !unicode.IsSpace(rs[i]) && !strings.ContainsRune("()\",'=!<>~", rs[i]) {
				i++
			}
			out = append(out, jqlToken{jqlWord, string(rs[start:i]), start + 1})
		}
	}
	return append(out, jqlToken{kind: jqlEOF, pos: len(rs) + 1}), nil
}

// jqlClause is field op value(s).
type jqlClause struct {
	field  jqlToken
	op     string // upper case: =, <, IN, NOT IN, IS NOT, …
	values []jqlToken
}

type jqlOrder struct {
	field string
	desc  bool
}

// jqlQuery is a parsed query.
type jqlQuery struct {
	clauses []jqlClause
	order   []jqlOrder
}

type jqlParser struct {
	toks []jqlToken
	k    int
}

func (p *jqlParser) peek() jqlToken { return p.toks[p.k] }
func (p *jqlParser) next() jqlToken { t := p.toks[p.k]; p.k++; return t }

// gotError words an unexpected token as Jira does, or the end of the
// query.
func gotError(t jqlToken, expecting, tail string) error {
	if t.kind == jqlEOF {
		return jqlError("Expecting %s before the end of the query.%s", expecting, tail)
	}
	return jqlError("Expecting %s but got '%s'.%s %s", expecting, t.text, tail, jqlAt(t))
}

func parseJQL(q string) (*jqlQuery, error) {
	toks, err := lexJQL(q)
	if err != nil {
		return nil, err
	}
	p := &jqlParser{toks: toks}
	query := &jqlQuery{}
	if t := p.peek(); t.kind != jqlEOF && !t.is("ORDER") {
		if query.clauses, err = p.orExpr(); err != nil {
			return nil, err
		}
	}
	if t := p.peek(); t.is("ORDER") {
		if query.order, err = p.orderBy(); err != nil {
			return nil, err
		}
	}
	if t := p.peek(); t.kind != jqlEOF {
		return nil, gotError(t, "either 'OR' or 'AND'", "")
	}
	return query, nil
}

func (p *jqlParser) orExpr() ([]jqlClause, error) {
	clauses, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.is("OR") {
		return nil, jiraMessage(fmt.Sprintf("The sandbox cannot run OR %s: join clauses with AND.", jqlAt(t)))
	}
	return clauses, nil
}

func (p *jqlParser) andExpr() ([]jqlClause, error) {
	var clauses []jqlClause
	for {
		more, err := p.unary()
		if err != nil {
			return nil, err
		}
		clauses = append(clauses, more...)
		if !p.peek().is("AND") {
			return clauses, nil
		}
		p.next()
	}
}

func (p *jqlParser) unary() ([]jqlClause, error) {
	t := p.peek()
	switch {
	case t.is("NOT"):
		return nil, jiraMessage(fmt.Sprintf("The sandbox cannot run NOT %s.", jqlAt(t)))
	case t.kind == jqlLParen:
		p.next()
		clauses, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != jqlRParen {
			return nil, gotError(t, "')'", "")
		}
		return clauses, nil
	}
	c, err := p.clause()
	return []jqlClause{c}, err
}

const jqlOperators = " The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."

func (p *jqlParser) clause() (jqlClause, error) {
	field := p.next()
	if (field.kind != jqlWord && field.kind != jqlString) || isJQLKeyword(field) {
		return jqlClause{}, gotError(field, "a field name", "")
	}
	c := jqlClause{field: field}
	switch t := p.next(); {
	case t.kind == jqlOp && t.text != "!":
		c.op = t.text
	case t.is("IN"):
		c.op = "IN"
	case t.is("IS"):
		c.op = "IS"
		if p.peek().is("NOT") {
			p.next()
			c.op = "IS NOT"
		}
	case t.is("NOT") && p.peek().is("IN"):
		p.next()
		c.op = "NOT IN"
	default:
		return jqlClause{}, gotError(t, "operator", jqlOperators)
	}
	if c.op == "IN" || c.op == "NOT IN" {
		if t := p.next(); t.kind != jqlLParen {
			return jqlClause{}, gotError(t, "'('", "")
		}
		for {
			v, err := p.value()
			if err != nil {
				return jqlClause{}, err
			}
			c.values = append(c.values, v)
			if t := p.next(); t.kind == jqlRParen {
				break
			} else if t.kind != jqlComma {
				return jqlClause{}, gotError(t, "either ',' or ')'", "")
			}
		}
		return c, nil
	}
	if c.op == "IS" || c.op == "IS NOT" {
		t := p.next()
		if !t.is("EMPTY") && !t.is("NULL") {
			return jqlClause{}, gotError(t, "'EMPTY' or 'NULL'", "")
		}
		c.values = []jqlToken{t}
		return c, nil
	}
	v, err := p.value()
	if err != nil {
		return jqlClause{}, err
	}
	c.values = []jqlToken{v}
	return c, nil
}

func (p *jqlParser) value() (jqlToken, error) {
	t := p.next()
	switch {
	case t.kind == jqlEOF:
		return t, jqlError("Expecting either a value, list or function before the end of the query.")
	case t.kind == jqlString:
		return t, nil
	case t.kind != jqlWord || isJQLKeyword(t):
		return t, jqlError("Expecting either a value, list or function but got '%s'. You must surround '%s' in quotation marks to use it as a value. %s",
			t.text, t.text, jqlAt(t))
	case p.peek().kind == jqlLParen:
		return t, jiraMessage(fmt.Sprintf("The sandbox cannot run the function %s() %s.", t.text, jqlAt(t)))
	}
	return t, nil
}

func (p *jqlParser) orderBy() ([]jqlOrder, error) {
	p.next()
	if t := p.next(); !t.is("BY") {
		return nil, gotError(t, "'by'", "")
	}
	var order []jqlOrder
	for {
		t := p.next()
		if (t.kind != jqlWord && t.kind != jqlString) || isJQLKeyword(t) {
			return nil, gotError(t, "a field name", "")
		}
		o := jqlOrder{field: strings.ToLower(t.text)}
		switch d := p.peek(); {
		case d.is("ASC"):
			p.next()
		case d.is("DESC"):
			p.next()
			o.desc = true
		}
		order = append(order, o)
		if p.peek().kind != jqlComma {
			break
		}
		p.next()
	}
	if len(order) > 7 {
		return nil, jiraMessage("The ORDER BY clause can contain a maximum of 7 fields.")
	}
	return order, nil
}

// jqlUnbounded is Jira's answer to a query without a restriction.
const jqlUnbounded = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."

// jiraResult is the issues a query selects: positions lo to hi of one
// project, in one direction. In a project with edited or deleted issues
// runs holds them instead, in ascending order.
type jiraResult struct {
	p      *jiraProject
	lo, hi int
	desc   bool
	runs   []jiraRun // nil: lo to hi
	n      int       // issues in runs
}

// jiraRun is the positions lo to hi of a result, in order.
type jiraRun struct{ lo, hi int }

func (res jiraResult) len() int {
	if res.runs != nil {
		return res.n
	}
	return res.hi - res.lo
}

// at returns the k-th issue of the result.
func (res jiraResult) at(k int) jiraRef {
	if res.desc {
		k = res.len() - 1 - k
	}
	if res.runs == nil {
		return jiraRef{res.p, res.lo + k}
	}
	for _, run := range res.runs {
		if k < run.hi-run.lo {
			return jiraRef{res.p, run.lo + k}
		}
		k -= run.hi - run.lo
	}
	panic("sandbox: jiraResult.at past its end")
}

// runJQL parses q and finds its issues as of ref.
func (c *jiraCall) runJQL(q string, ref time.Time) (jiraResult, error) {
	query, err := parseJQL(q)
	if err != nil {
		return jiraResult{}, err
	}
	if len(query.clauses) == 0 {
		return jiraResult{}, jiraMessage(jqlUnbounded)
	}
	var res jiraResult
	type bound struct {
		field string
		op    string
		t     time.Time
	}
	var bounds []bound
	for _, cl := range query.clauses {
		name := strings.ToLower(cl.field.text)
		switch name {
		case "project":
			if cl.op != "=" && cl.op != "IN" || len(cl.values) != 1 {
				return jiraResult{}, jiraMessage(fmt.Sprintf("The sandbox runs project only with = or IN and one project %s.", jqlAt(cl.field)))
			}
			v := cl.values[0].text
			p := c.findProject(v)
			if p == nil {
				return jiraResult{}, jiraMessage(fmt.Sprintf("The value '%s' does not exist for the field 'project'.", v))
			}
			if res.p != nil && res.p != p {
				// Two projects at once: nothing is in both.
				res.hi = res.lo
				continue
			}
			res.p, res.hi = p, p.n
		case "created", "createddate", "updated", "updateddate":
			field := strings.TrimSuffix(name, "date")
			switch cl.op {
			case "=", "<", ">", "<=", ">=":
			default:
				return jiraResult{}, jiraMessage(fmt.Sprintf("The operator '%s' is not supported by the '%s' field.", cl.op, cl.field.text))
			}
			t, ok := parseJQLDate(cl.values[0].text, ref)
			if !ok {
				return jiraResult{}, jiraMessage(fmt.Sprintf("Date value '%s' for field '%s' is invalid. Valid formats include: "+
					"'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.",
					cl.values[0].text, cl.field.text))
			}
			bounds = append(bounds, bound{field, cl.op, t})
		default:
			return jiraResult{}, jiraMessage(fmt.Sprintf("The sandbox cannot search by '%s': it runs project, created and updated joined by AND.", cl.field.text))
		}
	}
	if res.p == nil {
		return jiraResult{}, jiraMessage("The sandbox needs a project clause (project = KEY) in every query.")
	}
	match := func(created, updated time.Time) bool {
		for _, b := range bounds {
			w := updated
			if b.field == "created" {
				w = created
			}
			var ok bool
			switch b.op {
			case ">=":
				ok = !w.Before(b.t)
			case ">":
				ok = w.After(b.t)
			case "<=":
				ok = !w.After(b.t)
			case "<":
				ok = w.Before(b.t)
			case "=":
				ok = !w.Before(b.t) && w.Before(b.t.Add(time.Minute))
			}
			if !ok {
				return false
			}
		}
		return true
	}
	for _, b := range bounds {
		// Both times grow with the position, so each bound cuts the
		// range at the first position past it.
		when := func(i int) time.Time {
			created, updated := jiraTimes(res.p, c.site, i)
			if b.field == "created" {
				return created
			}
			return updated
		}
		firstAtOrAfter := func(t time.Time) int {
			return sort.Search(res.p.n, func(i int) bool { return !when(i).Before(t) })
		}
		firstAfter := func(t time.Time) int {
			return sort.Search(res.p.n, func(i int) bool { return when(i).After(t) })
		}
		switch b.op {
		case ">=":
			res.lo = max(res.lo, firstAtOrAfter(b.t))
		case ">":
			res.lo = max(res.lo, firstAfter(b.t))
		case "<=":
			res.hi = min(res.hi, firstAfter(b.t))
		case "<":
			res.hi = min(res.hi, firstAtOrAfter(b.t))
		case "=":
			res.lo = max(res.lo, firstAtOrAfter(b.t))
			res.hi = min(res.hi, firstAtOrAfter(b.t.Add(time.Minute)))
		}
	}
	res.hi = max(res.hi, res.lo)
	res.desc = true
	byUpdated := false
	if len(query.order) > 0 {
		switch query.order[0].field {
		case "key", "issuekey", "id", "created", "createddate":
			res.desc = query.order[0].desc
		case "updated", "updateddate":
			res.desc, byUpdated = query.order[0].desc, true
		default:
			res.desc = false
		}
	}
	if len(res.p.edits) > 0 || len(res.p.deleted) > 0 {
		res.applyChanges(c.site, match, byUpdated)
	}
	return res, nil
}

// applyChanges turns the range of positions, found by the times as
// drawn, into runs that leave out the edited and deleted issues and put
// back the edited ones that match now, ordered by position or, when
// byUpdated, by their new updated time among the others.
func (res *jiraResult) applyChanges(site int, match func(created, updated time.Time) bool, byUpdated bool) {
	p := res.p
	holes := make([]int, 0, len(p.edits)+len(p.deleted))
	for i := range p.edits {
		holes = append(holes, i)
	}
	for i := range p.deleted {
		if _, ok := p.edits[i]; !ok {
			holes = append(holes, i)
		}
	}
	slices.Sort(holes)
	var runs []jiraRun
	lo := res.lo
	for _, i := range holes {
		if i < lo || i >= res.hi {
			continue
		}
		if lo < i {
			runs = append(runs, jiraRun{lo, i})
		}
		lo = i + 1
	}
	if lo < res.hi {
		runs = append(runs, jiraRun{lo, res.hi})
	}

	// An edited issue goes before the position it now sorts before.
	type extra struct {
		i, before int
		at        time.Time
	}
	var extras []extra
	for i, e := range p.edits {
		if p.deleted[i] {
			continue
		}
		created, _ := jiraTimes(p, site, i)
		if !match(created, e.at) {
			continue
		}
		x := extra{i: i, before: i, at: e.at}
		if byUpdated {
			x.before = sort.Search(p.n, func(k int) bool {
				_, updated := jiraTimes(p, site, k)
				return updated.After(e.at)
			})
		}
		extras = append(extras, x)
	}
	slices.SortFunc(extras, func(a, b extra) int {
		return cmp.Or(cmp.Compare(a.before, b.before), a.at.Compare(b.at), cmp.Compare(a.i, b.i))
	})

	res.runs = make([]jiraRun, 0, len(runs)+2*len(extras))
	res.n = 0
	add := func(run jiraRun) {
		if run.lo < run.hi {
			res.runs = append(res.runs, run)
			res.n += run.hi - run.lo
		}
	}
	x := 0
	for _, run := range runs {
		for ; x < len(extras) && extras[x].before < run.hi; x++ {
			if extras[x].before > run.lo {
				add(jiraRun{run.lo, extras[x].before})
				run.lo = extras[x].before
			}
			add(jiraRun{extras[x].i, extras[x].i + 1})
		}
		add(run)
	}
	for ; x < len(extras); x++ {
		add(jiraRun{extras[x].i, extras[x].i + 1})
	}
}

// findProject finds a project by key (any case) or id.
func (c *jiraCall) findProject(v string) *jiraProject {
	for _, p := range c.projects {
		if p != nil && (strings.EqualFold(p.key, v) || p.id() == v) {
			return p
		}
	}
	return nil
}

var jqlPeriod = regexp.MustCompile(`^([-+]?)((?:\d+[wdhm]\s*)+)$`)
var jqlPeriodPart = regexp.MustCompile(`(\d+)([wdhm])`)

// parseJQLDate reads a date value of JQL, a period counting from ref.
func parseJQLDate(v string, ref time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2006/01/02 15:04", "2006-01-02 15:04", "2006/01/02", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, true
		}
	}
	m := jqlPeriod.FindStringSubmatch(strings.ToLower(v))
	if m == nil {
		return time.Time{}, false
	}
	var d time.Duration
	for _, part := range jqlPeriodPart.FindAllStringSubmatch(m[2], -1) {
		n, err := strconv.Atoi(part[1])
		if err != nil || n > 1_000_000 {
			return time.Time{}, false
		}
		unit := map[string]time.Duration{"w": 7 * 24 * time.Hour, "d": 24 * time.Hour, "h": time.Hour, "m": time.Minute}[part[2]]
		d += time.Duration(n) * unit
	}
	if m[1] == "-" {
		d = -d
	}
	return ref.Add(d), true
}
