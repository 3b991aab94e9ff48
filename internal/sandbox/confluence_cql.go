package sandbox

// The sandbox understands a sliver of CQL, enough for an exporter: what
// it accepts is on SetConfluenceSpace. It shares JQL's lexer, whose tokens are the
// same. A query it cannot read is Confluence's "Could not parse cql";
// one it reads but cannot run (OR, NOT, other functions, other fields)
// says so instead of pretending to be Confluence.

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// errCQLSyntax is a query the sandbox cannot parse; the handler words it
// as Confluence does, naming the query.
type errCQLSyntax struct{}

func (errCQLSyntax) Error() string { return "could not parse cql" }

// cqlUnsupported is a query the sandbox parses but cannot run.
type cqlUnsupported string

func (e cqlUnsupported) Error() string { return string(e) }

// cqlValue is a value of a clause: a literal, or a function call.
type cqlValue struct {
	text string
	fn   string // lower case; "" for a literal
	args []string
}

type cqlClause struct {
	field  string // lower case
	op     string // =, <, >, <=, >=, ~ or IN
	values []cqlValue
}

type cqlQuery struct {
	clauses []cqlClause
	order   []jqlOrder
}

type cqlParser struct{ jqlParser }

// parseCQL reads clauses joined by AND, each field op value, field IN
// (values) or a parenthesised group, and an optional ORDER BY.
func parseCQL(q string) (*cqlQuery, error) {
	toks, err := lexJQL(q)
	if err != nil {
		return nil, errCQLSyntax{}
	}
	p := &cqlParser{jqlParser{toks: toks}}
	query := &cqlQuery{}
	if query.clauses, err = p.and(); err != nil {
		return nil, err
	}
	if p.peek().is("ORDER") {
		if query.order, err = p.orderBy(); err != nil {
			return nil, err
		}
	}
	if t := p.peek(); t.kind != jqlEOF {
		if t.is("OR") {
			return nil, cqlUnsupported("The sandbox cannot run OR in CQL: join clauses with AND.")
		}
		return nil, errCQLSyntax{}
	}
	return query, nil
}

func (p *cqlParser) and() ([]cqlClause, error) {
	var clauses []cqlClause
	for {
		more, err := p.term()
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

func (p *cqlParser) term() ([]cqlClause, error) {
	switch t := p.peek(); {
	case t.is("NOT"):
		return nil, cqlUnsupported("The sandbox cannot run NOT in CQL.")
	case t.kind == jqlLParen:
		p.next()
		clauses, err := p.and()
		if err != nil {
			return nil, err
		}
		switch t := p.next(); {
		case t.is("OR"):
			return nil, cqlUnsupported("The sandbox cannot run OR in CQL: join clauses with AND.")
		case t.kind != jqlRParen:
			return nil, errCQLSyntax{}
		}
		return clauses, nil
	}
	c, err := p.clause()
	return []cqlClause{c}, err
}

func (p *cqlParser) clause() (cqlClause, error) {
	field := p.next()
	if (field.kind != jqlWord && field.kind != jqlString) || isJQLKeyword(field) {
		return cqlClause{}, errCQLSyntax{}
	}
	c := cqlClause{field: strings.ToLower(field.text)}
	switch t := p.next(); {
	case t.kind == jqlOp && (t.text == "!=" || t.text == "!~"):
		return cqlClause{}, cqlUnsupported(fmt.Sprintf("The sandbox cannot run the operator %s in CQL.", t.text))
	case t.kind == jqlOp && t.text != "!":
		c.op = t.text
	case t.is("IN"):
		c.op = "IN"
	case t.is("NOT") && p.peek().is("IN"):
		return cqlClause{}, cqlUnsupported("The sandbox cannot run NOT IN in CQL.")
	default:
		return cqlClause{}, errCQLSyntax{}
	}
	if c.op != "IN" {
		v, err := p.value()
		c.values = []cqlValue{v}
		return c, err
	}
	if p.next().kind != jqlLParen {
		return cqlClause{}, errCQLSyntax{}
	}
	for {
		v, err := p.value()
		if err != nil {
			return cqlClause{}, err
		}
		c.values = append(c.values, v)
		if t := p.next(); t.kind == jqlRParen {
			break
		} else if t.kind != jqlComma {
			return cqlClause{}, errCQLSyntax{}
		}
	}
	if len(c.values) > ConfluenceCQLListMax {
		return cqlClause{}, cqlUnsupported(fmt.Sprintf("The sandbox takes at most %d values in one IN list.", ConfluenceCQLListMax))
	}
	return c, nil
}

func (p *cqlParser) value() (cqlValue, error) {
	t := p.next()
	switch {
	case t.kind == jqlString:
		return cqlValue{text: t.text}, nil
	case t.kind != jqlWord || isJQLKeyword(t):
		return cqlValue{}, errCQLSyntax{}
	case p.peek().kind != jqlLParen:
		return cqlValue{text: t.text}, nil
	}
	// A function: name(arg, …).
	p.next()
	v := cqlValue{text: t.text, fn: strings.ToLower(t.text)}
	if p.peek().kind == jqlRParen {
		p.next()
	} else {
		for {
			a := p.next()
			if a.kind != jqlString && a.kind != jqlWord {
				return cqlValue{}, errCQLSyntax{}
			}
			v.args = append(v.args, a.text)
			if t := p.next(); t.kind == jqlRParen {
				break
			} else if t.kind != jqlComma {
				return cqlValue{}, errCQLSyntax{}
			}
		}
	}
	if v.fn != "now" {
		return cqlValue{}, cqlUnsupported(fmt.Sprintf("The sandbox cannot run the CQL function %s(): it runs now() only.", t.text))
	}
	return v, nil
}

func (p *cqlParser) orderBy() ([]jqlOrder, error) {
	p.next()
	if !p.next().is("BY") {
		return nil, errCQLSyntax{}
	}
	var order []jqlOrder
	for {
		t := p.next()
		if (t.kind != jqlWord && t.kind != jqlString) || isJQLKeyword(t) {
			return nil, errCQLSyntax{}
		}
		o := jqlOrder{field: strings.ToLower(t.text)}
		switch o.field {
		case "id", "created", "lastmodified", "title":
		default:
			return nil, cqlUnsupported(fmt.Sprintf("The sandbox cannot sort by '%s': it sorts by id, created, lastmodified and title.", t.text))
		}
		switch d := p.peek(); {
		case d.is("ASC"):
			p.next()
		case d.is("DESC"):
			p.next()
			o.desc = true
		}
		order = append(order, o)
		if p.peek().kind != jqlComma {
			return order, nil
		}
		p.next()
	}
}

// cqlTypes are the content types CQL knows; the sandbox holds the first
// four, and the rest match nothing.
var cqlTypes = map[string]cfKind{
	"page": kindPage, "blogpost": kindBlogPost, "comment": kindComment, "attachment": kindAttachment,
	"folder": 0, "whiteboard": 0, "database": 0, "embed": 0, "space": 0, "user": 0,
}

// cqlHits is what a query selects, in order, and how many hits archived
// spaces held back.
type cqlHits struct {
	items    []cfItem
	archived int
}

// runCQL runs a query as of ref (for now()) over the site's spaces; the
// CQL it understands is on SetConfluenceSpace. Spaces that are archived
// are left out unless includeArchived, and counted in archived.
func (c *cfCall) runCQL(q string, ref time.Time, includeArchived bool) (cqlHits, error) {
	query, err := parseCQL(q)
	if err != nil {
		return cqlHits{}, err
	}
	spaces := c.spaces
	var preds []func(cfItem) bool
	types := map[cfKind]bool{kindPage: true, kindBlogPost: true, kindComment: true, kindAttachment: true}
	for _, cl := range query.clauses {
		if err := cl.checkOperator(); err != nil {
			return cqlHits{}, err
		}
		values := make([]string, len(cl.values))
		for i, v := range cl.values {
			if v.fn != "" && cl.field != "created" && cl.field != "lastmodified" {
				return cqlHits{}, cqlUnsupported(fmt.Sprintf("The sandbox runs now() only on created and lastmodified, not on '%s'.", cl.field))
			}
			values[i] = v.text
		}
		switch cl.field {
		case "space", "space.key":
			for i, sp := range spaces {
				if sp != nil && !slices.ContainsFunc(values, func(v string) bool { return strings.EqualFold(v, sp.key) }) {
					spaces[i] = nil
				}
			}
		case "type":
			want := map[cfKind]bool{}
			for _, v := range values {
				k, ok := cqlTypes[strings.ToLower(v)]
				if !ok {
					return cqlHits{}, cqlUnsupported(fmt.Sprintf("The sandbox does not know the content type '%s'.", v))
				}
				want[k] = true
			}
			for k := range types {
				types[k] = types[k] && want[k]
			}
		case "ancestor":
			ids := cqlIDs(values)
			preds = append(preds, func(it cfItem) bool {
				if it.kind() != kindPage {
					return false
				}
				for p := it.c.parent; p != nil; p = p.parent {
					if ids[p.id] {
						return true
					}
				}
				return false
			})
		case "parent":
			ids := cqlIDs(values)
			preds = append(preds, func(it cfItem) bool {
				return it.kind() == kindPage && it.c.parent != nil && ids[it.c.parent.id]
			})
		case "container":
			ids := cqlIDs(values)
			preds = append(preds, func(it cfItem) bool {
				k := it.kind()
				return (k == kindComment || k == kindAttachment) && ids[it.c.id]
			})
		case "id":
			ids := cqlIDs(values)
			preds = append(preds, func(it cfItem) bool { return ids[it.id()] })
		case "label":
			preds = append(preds, func(it cfItem) bool {
				k := it.kind()
				return (k == kindPage || k == kindBlogPost) && slices.ContainsFunc(it.c.labels, func(l cfLabel) bool {
					return slices.ContainsFunc(values, func(v string) bool { return strings.EqualFold(v, confluenceLabelNames[l.name]) })
				})
			})
		case "title":
			preds = append(preds, titlePredicate(cl.op, values[0]))
		case "created", "lastmodified":
			pred, err := timePredicate(cl, ref)
			if err != nil {
				return cqlHits{}, err
			}
			preds = append(preds, pred)
		}
	}

	var hits cqlHits
	for _, sp := range spaces {
		if sp == nil || c.site >= len(sp.sites) {
			continue
		}
		for _, it := range sp.data(c.site).items {
			if !types[it.kind()] || it.c.restricted || !all(preds, it) {
				continue
			}
			if sp.opts.Archived && !includeArchived {
				hits.archived++
				continue
			}
			hits.items = append(hits.items, it)
		}
	}
	if len(query.order) > 0 {
		slices.SortStableFunc(hits.items, func(a, b cfItem) int {
			for _, o := range query.order {
				var n int
				switch o.field {
				case "created":
					n = a.created().Compare(b.created())
				case "lastmodified":
					n = a.updated().Compare(b.updated())
				case "title":
					n = cmp.Compare(strings.ToLower(a.title()), strings.ToLower(b.title()))
				default:
					n = cmp.Compare(a.id(), b.id())
				}
				if o.desc {
					n = -n
				}
				if n != 0 {
					return n
				}
			}
			return cmp.Compare(a.id(), b.id())
		})
	}
	return hits, nil
}

func all(preds []func(cfItem) bool, it cfItem) bool {
	for _, p := range preds {
		if !p(it) {
			return false
		}
	}
	return true
}

// checkOperator refuses fields the sandbox does not know and operators
// a field does not take.
func (cl cqlClause) checkOperator() error {
	var ops []string
	switch cl.field {
	case "space", "space.key", "type", "ancestor", "parent", "container", "id", "label":
		ops = []string{"=", "IN"}
	case "title":
		ops = []string{"=", "~"}
	case "created", "lastmodified":
		ops = []string{"=", "<", ">", "<=", ">="}
	default:
		return cqlUnsupported(fmt.Sprintf("The sandbox cannot search by '%s': it runs space, type, ancestor, parent, container, id, "+
			"label, title, created and lastmodified.", cl.field))
	}
	if !slices.Contains(ops, cl.op) {
		return cqlUnsupported(fmt.Sprintf("The sandbox runs '%s' with %s only.", cl.field, strings.Join(ops, ", ")))
	}
	return nil
}

// cqlIDs reads content ids; attachments may carry their "att" prefix.
// What is not an id matches nothing.
func cqlIDs(values []string) map[int64]bool {
	ids := map[int64]bool{}
	for _, v := range values {
		if n, ok := parseCanonical(strings.TrimPrefix(v, "att")); ok {
			ids[n] = true
		}
	}
	return ids
}

func titlePredicate(op, value string) func(cfItem) bool {
	if op == "=" {
		return func(it cfItem) bool { return strings.EqualFold(it.title(), value) }
	}
	words := strings.FieldsFunc(strings.ToLower(value), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	return func(it cfItem) bool {
		title := strings.ToLower(it.title())
		for _, w := range words {
			if !strings.Contains(title, w) {
				return false
			}
		}
		return true
	}
}

func timePredicate(cl cqlClause, ref time.Time) (func(cfItem) bool, error) {
	t, unit, ok := parseCQLDate(cl.values[0], ref)
	if !ok {
		return nil, cqlUnsupported(fmt.Sprintf("The sandbox cannot read the date '%s' of '%s': use \"yyyy-MM-dd\", "+
			"\"yyyy/MM/dd HH:mm\" or now(\"-4w\").", cl.values[0].text+strings.Join(cl.values[0].args, ""), cl.field))
	}
	when := func(it cfItem) time.Time { return it.created() }
	if cl.field == "lastmodified" {
		when = func(it cfItem) time.Time { return it.updated() }
	}
	return func(it cfItem) bool {
		w := when(it)
		switch cl.op {
		case "<":
			return w.Before(t)
		case ">":
			return w.After(t)
		case "<=":
			return !w.After(t)
		case ">=":
			return !w.Before(t)
		}
		return !w.Before(t) && w.Before(t.Add(unit))
	}, nil
}

var (
	cqlPeriod     = regexp.MustCompile(`^([-+]?)\s*((?:\d+\s*[yMwdhm]\s*)+)$`)
	cqlPeriodPart = regexp.MustCompile(`(\d+)\s*([yMwdhm])`)
)

// parseCQLDate reads a date of CQL and the span = covers: a day, or a
// minute for a time of day or now().
func parseCQLDate(v cqlValue, ref time.Time) (time.Time, time.Duration, bool) {
	if v.fn == "now" {
		if len(v.args) == 0 {
			return ref, time.Minute, true
		}
		if len(v.args) > 1 {
			return time.Time{}, 0, false
		}
		m := cqlPeriod.FindStringSubmatch(strings.TrimSpace(v.args[0]))
		if m == nil {
			return time.Time{}, 0, false
		}
		sign := 1
		if m[1] == "-" {
			sign = -1
		}
		t := ref
		for _, part := range cqlPeriodPart.FindAllStringSubmatch(m[2], -1) {
			n, err := strconv.Atoi(part[1])
			if err != nil || n > 100_000 {
				return time.Time{}, 0, false
			}
			n *= sign
			switch part[2] {
			case "y":
				t = t.AddDate(n, 0, 0)
			case "M":
				t = t.AddDate(0, n, 0)
			case "w":
				t = t.AddDate(0, 0, 7*n)
			case "d":
				t = t.AddDate(0, 0, n)
			case "h":
				t = t.Add(time.Duration(n) * time.Hour)
			case "m":
				t = t.Add(time.Duration(n) * time.Minute)
			}
		}
		return t, time.Minute, true
	}
	s := strings.TrimSpace(v.text)
	for _, layout := range []string{"2006/01/02 15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, time.Minute, true
		}
	}
	for _, layout := range []string{"2006/01/02", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, 24 * time.Hour, true
		}
	}
	return time.Time{}, 0, false
}
