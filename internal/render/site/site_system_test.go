//go:build system

package site

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/internal/render/rendertest"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// TestSiteInChromium opens a rendered Jira and Confluence export from
// disk in headless Chromium, as a reader would: no server, no network.
// It finds every issue and page on the index once its script ran, sorts
// and filters the issue table, types into the search box, follows a
// result and the breadcrumbs back, searches from an item's page, reads
// the site at a phone's width, sees the pictures among the attachments,
// and finds hostile content inert, attachments too. It writes
// screenshots to $AUMO_SCREENSHOTS (else a temporary folder).
func TestSiteInChromium(t *testing.T) {
	shots := os.Getenv("AUMO_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o750); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { t.Logf("screenshots in %s", shots) })
	b := newBrowser(t, shots)
	t.Run("jira", func(t *testing.T) {
		t.Parallel()
		jiraInBrowser(t, b.tab(t))
	})
	t.Run("confluence", func(t *testing.T) {
		t.Parallel()
		confluenceInBrowser(t, b.tab(t))
	})
	t.Run("attachments", func(t *testing.T) {
		t.Parallel()
		attachmentsInBrowser(t, b.tab(t))
	})
}

func jiraInBrowser(t *testing.T, tb *tab) {
	src := sandboxExport(t, "jira")
	hostile := makeHostileJira(t, src)
	dest := filepath.Join(t.TempDir(), "site")
	renderInto(t, src, dest)
	_, c := rendertest.Open(t, src)
	recs := searchRecords(t, dest)

	// The index: every issue, once the table's script ran.
	tb.open(fileURL(dest, indexName))
	tb.waitVisible("#table-controls")
	text := tb.text("body")
	for _, it := range c.Items {
		if !strings.Contains(text, it.Key) {
			t.Errorf("index: no %s", it.Key)
		}
	}
	if got := tb.text("#shown"); got != fmt.Sprintf("Showing %d of %d issues", len(c.Items), len(c.Items)) {
		t.Errorf("index: %q", got)
	}
	tb.screenshot("jira-index.png")

	checkSorting(t, tb, c)
	checkFilters(t, tb, c)

	// The search box: type a word, get every item that holds it, follow
	// the first result, come back by the breadcrumb.
	tb.open(fileURL(dest, indexName))
	tb.typeInto("#q", "staging")
	want := matching(recs, "staging")
	tb.waitFor(fmt.Sprintf(`document.querySelectorAll('#results li').length === %d`, min(len(want), 100)))
	if len(want) == 0 {
		t.Fatal("no record holds the word searched for")
	}
	if got := tb.location(); !strings.HasSuffix(got, "#q=staging") {
		t.Errorf("after a search the address is %s", got)
	}
	first := tb.eval(`document.querySelector('#results li a').getAttribute('href')`)
	if first != want[0].URL {
		t.Errorf("first result %s, want %s", first, want[0].URL)
	}
	tb.screenshot("jira-search.png")
	tb.follow("#results li a", first)
	if h1 := tb.text("h1"); h1 != squeeze(want[0].Title) {
		t.Errorf("%s: heading %q, want %q", first, h1, want[0].Title)
	}
	tb.screenshot("jira-issue.png")
	tb.follow(".crumbs a", indexName+"#project=DEMO")
	tb.waitVisible("#table-controls")

	// A search from an item's page leads to the index's results.
	tb.open(fileURL(dest, "issues/DEMO-3.html"))
	tb.typeInto("#q", "staging\r")
	tb.waitLocation(indexName + "?q=staging")
	tb.waitFor(fmt.Sprintf(`document.querySelectorAll('#results li').length === %d`, min(len(want), 100)))

	// At a phone's width, the page fits and the table scrolls in its box.
	tb.phone(func() {
		tb.open(fileURL(dest, "issues/DEMO-1.html"))
		tb.checkFits()
		tb.screenshot("jira-issue-phone.png")
		tb.open(fileURL(dest, indexName))
		tb.waitVisible("#table-controls")
		tb.checkFits()
	})

	checkHostileInBrowser(t, tb, fileURL(dest, "issues/"+hostile+".html"))
	checkSandboxHostile(t, tb, dest, c, "Pasted from the old tracker")
	tb.open(fileURL(dest, indexName) + "#q=Hostile")
	tb.waitFor(`document.querySelectorAll('#results li').length > 0`)
	tb.checkNotPwned()
	tb.checkQuiet()
	checkPolicyInBrowser(t, tb, dest)
}

// checkPolicyInBrowser adds what the Markdown's converter never lets
// through to copies of the site's pages, an inline script and an event
// handler: the pages' policy alone keeps them from running, while the
// index's own scripts run; an item's page runs no script, not even the
// site's.
func checkPolicyInBrowser(t *testing.T, tb *tab, dest string) {
	t.Helper()
	inject := func(from, to, extra string) {
		data, err := os.ReadFile(filepath.Join(dest, from))
		if err != nil {
			t.Fatal(err)
		}
		html := strings.Replace(string(data), "</body>", extra+"</body>", 1)
		if err := os.WriteFile(filepath.Join(dest, to), []byte(html), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const inline = `<script>` + pwn + `</script><img src="assets/none.png" onerror="` + pwn + `"><a id="jslink" href="javascript:` + pwn + `">x</a>`
	inject(indexName, "policy-index.html", inline)
	tb.open(fileURL(dest, "policy-index.html"))
	tb.waitVisible("#table-controls") // the site's own script ran
	tb.click("#jslink")
	tb.do(chromedp.Sleep(300 * time.Millisecond))
	tb.checkNotPwned()
	inject("issues/DEMO-2.html", "issues/policy-item.html", `<script src="../assets/site.js"></script>`+inline)
	tb.open(fileURL(dest, "issues/policy-item.html"))
	tb.do(chromedp.Sleep(300 * time.Millisecond))
	tb.checkNotPwned()
	if got := tb.eval(`String(document.querySelector('.bar button') !== null && window.AUMO_SEARCH === undefined && document.querySelector('#q').form.onsubmit === null)`); got != "true" {
		t.Errorf("the site's script ran on an item's page: %s", got)
	}
	tb.mu.Lock()
	refused := 0
	for _, msg := range tb.noise {
		if strings.Contains(msg, "Content Security Policy") {
			refused++
		}
	}
	t.Logf("the browser refused %d times:\n%s", refused, strings.Join(tb.noise, "\n"))
	tb.noise = nil
	tb.mu.Unlock()
	if refused < 6 {
		t.Errorf("the browser reported %d refusals by the policy, want six: the inline scripts, handlers and javascript: link on the index; the script file, inline script and handler on the item", refused)
	}
}

// checkSorting sorts the issue table by its Updated column, both ways.
func checkSorting(t *testing.T, tb *tab, c *render.Catalog) {
	t.Helper()
	issues := slices.Clone(c.Items)
	slices.SortStableFunc(issues, func(a, b *render.Item) int { return strings.Compare(sortTime(a.Updated), sortTime(b.Updated)) })
	tb.click("#issue-table th:nth-child(7) button")
	if got := tb.eval(`document.querySelector('#issue-table tbody tr').cells[0].textContent`); got != issues[0].Key {
		t.Errorf("sorted by Updated, the first row is %s, want %s", got, issues[0].Key)
	}
	tb.click("#issue-table th:nth-child(7) button")
	if got := tb.eval(`document.querySelector('#issue-table tbody tr').cells[0].textContent`); got != issues[len(issues)-1].Key {
		t.Errorf("sorted by Updated, newest first, the first row is %s, want %s", got, issues[len(issues)-1].Key)
	}
	if got := tb.eval(`document.querySelector('#issue-table th:nth-child(7)').getAttribute('aria-sort')`); got != "descending" {
		t.Errorf("aria-sort %q", got)
	}
}

// checkFilters filters the issue table by status, then by text too.
func checkFilters(t *testing.T, tb *tab, c *render.Catalog) {
	t.Helper()
	done := 0
	for _, it := range c.Items {
		if it.Status == "Done" {
			done++
		}
	}
	tb.do(chromedp.SetValue(chromedp.CSS("#f-status"), "Done"))
	tb.eval(`document.getElementById('f-status').dispatchEvent(new Event('change')), ''`)
	if got := tb.eval(`[...document.querySelectorAll('#issue-table tbody tr')].filter(r => !r.hidden).map(r => r.dataset.status).join()`); got != strings.TrimSuffix(strings.Repeat("Done,", done), ",") || done == 0 {
		t.Errorf("filtered by status Done, the rows are %q; want %d of them", got, done)
	}
	if !strings.HasSuffix(tb.location(), "#status=Done") {
		t.Errorf("the filter is not in the address: %s", tb.location())
	}
	tb.typeInto("#filter", "Osprey")
	shown := tb.eval(`[...document.querySelectorAll('#issue-table tbody tr')].filter(r => !r.hidden).map(r => r.textContent).join('\n')`)
	for _, row := range strings.Split(shown, "\n") {
		if !strings.Contains(row, "Osprey") || !strings.Contains(row, "Done") {
			t.Errorf("filtered by Osprey and Done, a row shows %q", row)
		}
	}
	if got := tb.text("#shown"); !strings.HasPrefix(got, fmt.Sprintf("Showing %d of", len(strings.Split(shown, "\n")))) {
		t.Errorf("the count reads %q", got)
	}
}

func confluenceInBrowser(t *testing.T, tb *tab) {
	src := sandboxExport(t, "confluence")
	hostile := makeHostileConfluence(t, src)
	dest := filepath.Join(t.TempDir(), "site")
	renderInto(t, src, dest)
	_, c := rendertest.Open(t, src)
	recs := searchRecords(t, dest)

	tb.open(fileURL(dest, indexName))
	text := tb.text("main")
	for _, it := range c.Items {
		if !strings.Contains(text, squeeze(it.Title)) && it.ID != hostile {
			t.Errorf("index: no %s %q", it.Kind, it.Title)
		}
	}
	tb.screenshot("confluence-index.png")

	// Down the tree to a page two levels deep, up by its breadcrumbs.
	deep := deepPage(t, c)
	up := c.Ancestors(deep)
	tb.follow("#"+itemAnchor(deep)+" > a", pagePath(deep))
	crumbs := tb.eval(`[...document.querySelectorAll('.crumbs li')].map(li => li.textContent).join(' › ')`)
	if want := strings.Join(confluenceCrumbs(c, deep), " › "); squeeze(crumbs) != squeeze(want) {
		t.Errorf("%s: breadcrumbs %q, want %q", pagePath(deep), crumbs, want)
	}
	tb.screenshot("confluence-page.png")
	parent := up[len(up)-1]
	tb.follow(fmt.Sprintf(".crumbs li:nth-child(%d) a", len(up)+1), pagePath(parent))
	if h1 := tb.text("h1"); h1 != squeeze(parent.Title) {
		t.Errorf("the parent's heading is %q, want %q", h1, parent.Title)
	}
	sp, _ := c.Space(deep.Space)
	tb.follow(".crumbs li:first-child a", indexName+"#"+spaceAnchor(sp))
	tb.do(chromedp.NavigateBack())
	tb.waitLocation(pagePath(parent))

	// A search typed, and one the address asks for.
	tb.open(fileURL(dest, indexName))
	tb.typeInto("#q", "Runbook harbour")
	want := matching(recs, "runbook", "harbour")
	tb.waitFor(fmt.Sprintf(`document.querySelectorAll('#results li').length === %d`, len(want)))
	if len(want) == 0 || !strings.HasPrefix(tb.text("#results-heading"), fmt.Sprint(len(want))) {
		t.Errorf("%d results, heading %q", len(want), tb.text("#results-heading"))
	}
	tb.screenshot("confluence-search.png")
	tb.open(fileURL(dest, indexName) + "#q=%C3%BCberblick")
	tb.waitFor(fmt.Sprintf(`document.querySelectorAll('#results li').length === %d`, len(matching(recs, "überblick"))))
	if got := tb.eval(`document.getElementById('q').value`); got != "überblick" {
		t.Errorf("the search box holds %q", got)
	}

	tb.phone(func() {
		tb.open(fileURL(dest, pagePath(deep)))
		tb.checkFits()
		tb.screenshot("confluence-page-phone.png")
	})

	// Every hostile attachment, copied as text, opened from its link.
	hostilePage := fileURL(dest, pagePath(&render.Item{Kind: exportformat.KindPage, ID: hostile}))
	checkHostileInBrowser(t, tb, hostilePage)
	for _, h := range hostileAttachments {
		tb.open(hostilePage)
		tb.follow(`a[href="../`+h.copyPath(hostile)+`"]`, path.Base(h.copyPath(hostile)))
		if got := tb.eval(`document.contentType`); got != "text/plain" {
			t.Errorf("attachment %s opens as %s", h.name, got)
		}
		if got := tb.text("body"); got != h.content() {
			t.Errorf("attachment %s does not show its text: %q", h.name, got)
		}
		tb.checkNotPwned()
	}
	checkSandboxHostile(t, tb, dest, c, "Pasted from the old wiki")
	tb.checkQuiet()
}

// attachmentsInBrowser opens a Confluence site's attachments from disk.
// Every picture among a page's attachments shows, loaded from its copy,
// and fits a phone's width. The hostile attachments' own files run their
// script, opened from disk: the test of their copies means something.
// And a file of each type the site copies under its own name runs no
// script, whatever it holds.
func attachmentsInBrowser(t *testing.T, tb *tab) {
	src := sandboxExport(t, "confluence")
	hostile := makeHostileConfluence(t, src)
	realPictures(t, src)
	dest := filepath.Join(t.TempDir(), "site")
	renderInto(t, src, dest)
	_, c := rendertest.Open(t, src)
	pages := readSite(t, dest)

	// The pictures among the attachments: loaded once scrolled to, as
	// wide as the window at most.
	const loaded = `[...document.querySelectorAll('figure.attachment img')].every(i => i.complete && i.naturalWidth > 0)`
	const fit = `String([...document.querySelectorAll('figure.attachment img')].every(i => i.getBoundingClientRect().right <= window.innerWidth))`
	figures := 0
	for _, it := range c.Items {
		p := pages[pagePath(it)]
		if p == nil {
			continue
		}
		n := len(find(p.doc, tag("figure", "attachment")))
		if n == 0 {
			continue
		}
		tb.open(fileURL(dest, pagePath(it)))
		if got := tb.eval(`String(document.querySelectorAll('figure.attachment img[loading=lazy]').length)`); got != fmt.Sprint(n) {
			t.Errorf("%s: %s pictures among the attachments, want %d", pagePath(it), got, n)
		}
		tb.eval(`document.querySelectorAll('figure.attachment').forEach(f => f.scrollIntoView()), ''`)
		tb.waitFor(loaded)
		if figures == 0 {
			tb.screenshot("confluence-attachments.png")
			tb.phone(func() {
				tb.open(fileURL(dest, pagePath(it)))
				tb.eval(`document.querySelectorAll('figure.attachment').forEach(f => f.scrollIntoView()), ''`)
				tb.waitFor(loaded)
				tb.checkFits()
				if got := tb.eval(fit); got != "true" {
					t.Errorf("%s: a picture is wider than a phone", pagePath(it))
				}
				tb.screenshot("confluence-attachments-phone.png")
			})
		}
		figures += n
	}
	if figures == 0 {
		t.Error("no page shows a picture among its attachments")
	}
	tb.checkQuiet()

	// Each hostile attachment's own file, in the export, runs its script
	// (its copy, which confluenceInBrowser opens, runs none).
	for _, h := range hostileAttachments {
		if !h.runs && !h.system {
			continue
		}
		tb.do(chromedp.Navigate(fileURL(src, h.path(hostile)))) // an SVG or XML document has no body
		switch ran := tb.pwned(); {
		case h.runs && !ran:
			t.Errorf("%s: Chromium runs no script of the file in the export: the test proves nothing", h.name)
		case h.system:
			t.Logf("%s: the script of the file in the export ran: %v", h.name, ran)
		}
	}

	// A file of every type the site copies under its own name, holding
	// markup with a script, opened from disk: shown, played or
	// downloaded, it runs nothing.
	if _, err := chromedp.CallBrowser(tb.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorDeny}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var types []string
	for ext := range inertTypes {
		types = append(types, ext)
	}
	slices.Sort(types)
	for _, ext := range types {
		name := filepath.Join(dir, "x."+strings.ToUpper(ext[:1])+ext[1:])
		if err := os.WriteFile(name, []byte(activeMarkup), 0o600); err != nil {
			t.Fatal(err)
		}
		tb.open("about:blank")
		u := fileURL(dir, filepath.Base(name))
		ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
		err := chromedp.Do(ctx, chromedp.Navigate(u))
		cancel()
		var load *chromedp.LoadError
		switch {
		case errors.As(err, &load) && load.ErrorText == "net::ERR_ABORTED":
			if got := tb.location(); got != "about:blank" {
				t.Errorf("%s: a download left the tab at %s", filepath.Base(name), got)
			}
			t.Logf("%s is downloaded", filepath.Base(name))
		case err != nil:
			t.Errorf("%s: %v", filepath.Base(name), err)
		case tb.pwned():
			t.Errorf("%s: its script ran, opened from disk", filepath.Base(name))
		default:
			t.Logf("%s opens as %s", filepath.Base(name), tb.eval(`document.contentType`))
		}
	}
}

// realPictures makes each picture attached in the export at dir one a
// browser can show, wider than a phone, where the sandbox's hold bytes
// alone.
func realPictures(t *testing.T, dir string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1600, 400))
	for x := range 1600 {
		for y := range 400 {
			img.Set(x, y, color.RGBA{R: uint8(x / 7), G: uint8(y / 2), B: 160, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	_, c := rendertest.Open(t, dir)
	for _, it := range c.Items {
		for _, a := range it.Files {
			if isImage(a.Name) {
				exportFile(t, dir, exportformat.IndexLine{Path: a.Path, Kind: exportformat.KindAttachment, ID: a.ID, Item: it.ID, MediaID: a.MediaID}, b.Bytes())
			}
		}
	}
}

// pwned reports whether a hostile script ran on the tab's page.
func (tb *tab) pwned() bool {
	tb.t.Helper()
	return tb.eval(`String(document.title === 'pwned' || document.getElementById('pwned') !== null)`) == "true"
}

// checkSandboxHostile opens the page of the sandbox's own hostile item,
// whose title starts with prefix: a script, an image with onerror and a
// javascript: link in its body, and an image with onerror in its title.
// They show as text, and nothing of them runs.
func checkSandboxHostile(t *testing.T, tb *tab, dest string, c *render.Catalog, prefix string) {
	t.Helper()
	i := slices.IndexFunc(c.Items, func(it *render.Item) bool { return strings.HasPrefix(it.Title, prefix) })
	if i < 0 {
		t.Fatalf("the sandbox's export has no item titled %q…", prefix)
	}
	tb.open(fileURL(dest, pagePath(c.Items[i])))
	if body := tb.text(".body"); !strings.Contains(body, "<script>"+sandbox.HostileScript+"</script>") {
		t.Errorf("the hostile script does not read as text in %q", body)
	}
	if got := tb.eval(`String(document.querySelectorAll('.body a[href^="javascript:" i], .body script, .body img[onerror]').length)`); got != "0" {
		t.Errorf("%s live script links, scripts or handlers in the body", got)
	}
	tb.checkNotPwned()
}

// deepPage is a page with two pages above it.
func deepPage(t *testing.T, c *render.Catalog) *render.Item {
	t.Helper()
	for _, it := range c.Items {
		up := c.Ancestors(it)
		if it.Kind == exportformat.KindPage && len(up) >= 2 && up[len(up)-1].Kind == exportformat.KindPage {
			return it
		}
	}
	t.Fatal("no page two levels down below a page")
	return nil
}

// checkHostileInBrowser opens the hostile item's page: it shows its
// title and markup as text, and none of its scripts ran.
func checkHostileInBrowser(t *testing.T, tb *tab, u string) {
	t.Helper()
	tb.open(u)
	tb.do(chromedp.Sleep(300 * time.Millisecond)) // time for a script that should not run
	if h1 := tb.text("h1"); h1 != hostileTitle {
		t.Errorf("the hostile title reads %q", h1)
	}
	if !strings.Contains(tb.text(".body"), "Hostile body ends.") {
		t.Error("the hostile body is not shown")
	}
	tb.checkNotPwned()
	tb.screenshot("hostile-" + filepath.Base(filepath.Dir(u)) + ".png")
	for _, link := range []string{"js link", "data link"} {
		if n := tb.eval(fmt.Sprintf(`String([...document.querySelectorAll('a')].filter(a => a.textContent.includes(%q)).length)`, link)); n != "0" {
			t.Errorf("%s is a link", link)
		}
	}
}

// matching are the search records that hold every term, the way the
// site's script ranks them: those with every term in the title or key
// first, then in the export's order.
func matching(recs []searchRecord, terms ...string) []searchRecord {
	type hit struct {
		r     searchRecord
		score int
	}
	var hits []hit
	for _, r := range recs {
		score := 0
		for _, term := range terms {
			switch {
			case strings.Contains(strings.ToLower(r.Key+" "+r.Title), term):
				score += 10
			case strings.Contains(strings.ToLower(r.Text), term):
				score++
			default:
				score = -1
			}
			if score < 0 {
				break
			}
		}
		if score >= 0 {
			hits = append(hits, hit{r, score})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return cmp.Or(b.score-a.score, a.r.Order-b.r.Order) })
	var out []searchRecord
	for _, h := range hits {
		out = append(out, h.r)
	}
	return out
}

func squeeze(s string) string { return strings.Join(strings.Fields(s), " ") }

func fileURL(dest, name string) string {
	abs, err := filepath.Abs(filepath.Join(dest, filepath.FromSlash(name)))
	if err != nil {
		panic(err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// browser is a headless Chromium for the test.
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

func newBrowser(t *testing.T, shots string) *browser {
	t.Helper()
	var exe string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		t.Fatal("no Chromium on the PATH: apt-get install chromium")
	}
	profile, err := os.MkdirTemp("", "aumo-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Chromium's helpers may write in the profile a moment after it
		// quits.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(profile),
		chromedp.WindowSize(1200, 900), chromedp.Flag("disable-component-update", true))
	ctx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(ctx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	return &browser{t: t, ctx: ctx, shots: shots}
}

// tab is a tab of the browser, with the script errors and policy
// violations its pages reported.
type tab struct {
	t     *testing.T
	ctx   context.Context
	shots string
	mu    sync.Mutex
	noise []string
	// phoneWidth is set while the tab emulates a phone.
	phoneWidth bool
}

func (b *browser) tab(t *testing.T) *tab {
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx, shots: b.shots}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				msg = "console: " + string(ev.Type)
			}
		case *cdplog.EventEntryAdded:
			msg = fmt.Sprintf("log %s %s: %s (%s)", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
		}
		if msg != "" {
			tb.mu.Lock()
			tb.noise = append(tb.noise, msg)
			tb.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatal(err)
	}
}

// eval is the value of a JavaScript expression, as a string.
func (tb *tab) eval(js string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
	if err != nil {
		tb.t.Fatalf("%s: %v", js, err)
	}
	return fmt.Sprint(v)
}

func (tb *tab) open(u string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("body")))
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	tb.waitVisible(sel)
	return squeeze(tb.eval(fmt.Sprintf(`document.querySelector(%q).innerText`, sel)))
}

func (tb *tab) waitVisible(sel string) {
	tb.t.Helper()
	tb.do(chromedp.WaitVisible(chromedp.CSS(sel)))
}

func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// typeInto types text into a field, as keys.
func (tb *tab) typeInto(sel, text string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// waitFor waits until a JavaScript expression holds.
func (tb *tab) waitFor(js string) {
	tb.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
		cancel()
		if err == nil && v == true {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.t.Fatalf("waited 10 s for %s, at %s", js, tb.location())
}

func (tb *tab) location() string {
	tb.t.Helper()
	return tb.eval(`location.href`)
}

// follow clicks the link sel and waits for the page whose address ends
// with suffix to load.
func (tb *tab) follow(sel, suffix string) {
	tb.t.Helper()
	tb.click(sel)
	tb.waitLocation(suffix)
}

func (tb *tab) waitLocation(suffix string) {
	tb.t.Helper()
	tb.waitFor(fmt.Sprintf(`location.href.endsWith(%q) && document.readyState === 'complete'`, suffix))
}

// screenshot writes a PNG of the whole page; at a phone's width, of the
// window.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 15*time.Second)
	defer cancel()
	shot := chromedp.FullScreenshot(100)
	if tb.phoneWidth {
		shot = chromedp.CaptureScreenshot()
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		tb.t.Fatal(err)
	}
	p := filepath.Join(tb.shots, name)
	if err := os.WriteFile(p, png, 0o600); err != nil {
		tb.t.Fatal(err)
	}
	tb.t.Logf("screenshot %s (%s)", p, time.Now().Format("15:04:05.000"))
}

// phone runs fn at a phone's width.
func (tb *tab) phone(fn func()) {
	tb.t.Helper()
	tb.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait))
	tb.phoneWidth = true
	fn()
	tb.phoneWidth = false
	tb.do(chromedp.EmulateViewport(1200, 900))
}

// checkFits finds no part of the page wider than the window.
func (tb *tab) checkFits() {
	tb.t.Helper()
	if got := tb.eval(`String(document.documentElement.scrollWidth <= window.innerWidth) + ' ' + document.documentElement.scrollWidth + ' ' + window.innerWidth`); !strings.HasPrefix(got, "true") {
		tb.t.Errorf("%s is wider than a phone (scroll width, window width): %s", tb.location(), got)
	}
}

// checkNotPwned finds no trace of a hostile script having run.
func (tb *tab) checkNotPwned() {
	tb.t.Helper()
	if got := tb.eval(`document.title === 'pwned' || document.getElementById('pwned') !== null || document.getElementById('` + sandbox.HostileElementID + `') !== null`); got != "false" {
		tb.t.Errorf("%s: a hostile script ran (title %q)", tb.location(), tb.eval(`document.title`))
	}
}

// checkQuiet finds no script error and no policy violation on the
// pages the tab opened.
func (tb *tab) checkQuiet() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, msg := range tb.noise {
		tb.t.Errorf("the browser reported %s", msg)
	}
}
