package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/net/html"

	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/internal/tokenstore"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

func TestMain(m *testing.M) {
	ensureSecretService()
	moreParallelStories()
	testscript.Main(cleanupM{m: m, dir: raceFreeStories()}, storyCommands)
}

// moreParallelStories runs four stories per CPU at once unless -parallel
// says otherwise: a story spends most of its time waiting (for a sandbox
// answer, a back-off, a child process), not computing, so go test's
// default of one per CPU leaves the machine idle.
func moreParallelStories() {
	if _, command := storyCommands[filepath.Base(os.Args[0])]; command {
		return
	}
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", strconv.Itoa(4*runtime.GOMAXPROCS(0)))
	}
}

// aumoMain is the real program, with the slow parts made fast: the file
// store's scrypt cost and the token endpoint's back-off.
func aumoMain() {
	tokenstore.SetScryptWorkFactorForTesting(10)
	auth.SetRetryBaseForTesting(20 * time.Millisecond)
	os.Exit(Main())
}

// TestScripts runs the user stories in testdata/script against a sandbox
// cloud started for each script.
func TestScripts(t *testing.T) {
	testscript.Run(t, params(filepath.Join("..", "..", "testdata", "script"), sandbox.Options{}))
}

type sandboxKey struct{}

func params(dir string, opts sandbox.Options) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			srv := sandbox.New(opts)
			if err := srv.Start("127.0.0.1:0"); err != nil {
				return err
			}
			env.Defer(func() { _ = srv.Close() })
			env.Values[sandboxKey{}] = srv
			work := env.WorkDir
			if storyBin != "" {
				env.Setenv("PATH", storyBin+string(filepath.ListSeparator)+env.Getenv("PATH"))
			}
			for k, v := range map[string]string{
				"SANDBOX_URL":        srv.URL(),
				"AUMO_AUTH_URL":      srv.URL(),
				"AUMO_API_URL":       srv.URL(),
				"AUMO_CLIENT_ID":     sandbox.DefaultClientID,
				"AUMO_CLIENT_SECRET": sandbox.DefaultClientSecret,
				"AUMO_REDIRECT_URL":  "http://127.0.0.1:0/callback",
				"BROWSER":            "fetch",
				"XDG_CONFIG_HOME":    filepath.Join(work, "config"),
				"XDG_STATE_HOME":     filepath.Join(work, "state"),
				"AUMO_TOKEN_STORE":   "file",
				// The stories use the file store; a keychain must not be
				// found by accident (nor started by D-Bus autolaunch).
				"AUMO_TOKEN_PASSPHRASE":    "correct horse battery staple",
				"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + filepath.Join(work, "no-dbus-here"),
			} {
				env.Setenv(k, v)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"sandbox":  cmdSandbox,
			"exitcode": cmdExitCode,
			"waitfor":  cmdWaitFor,
			// closedport VAR sets VAR to the URL of a loopback port
			// nothing listens on: an API that cannot be reached.
			"closedport": cmdClosedPort,
		},
	}
}

// cmdSandbox switches the script's sandbox cloud:
//
//	sandbox lifetime DURATION     access-token lifetime
//	sandbox leeway DURATION       refresh-token reuse leeway
//	sandbox deny                  the consent page answers access_denied
//	sandbox allow                 the consent page approves again
//	sandbox withhold SCOPE...     grant less than asked
//	sandbox fail-token N STATUS   the next N token requests fail
//	sandbox token-delay DURATION  the token endpoint answers slowly
//	sandbox revoke-grants         the user removed the app at Atlassian
//	sandbox stats                 print the counters, Jira's and Confluence's
//	                              among them (Jira:{…} Confluence:{…})
//	sandbox reset-stats           set every counter to zero
//	sandbox jira KEY N            a Jira project of N generated issues
//	sandbox confluence KEY N      a Confluence space of N generated pages
//	sandbox latency DURATION      every API answer waits
//	sandbox quota POINTS WINDOW   a points quota per window (SetPointsQuota):
//	                              when spent, API requests get 429 until it
//	                              resets; refusals count in QuotaLimited.
//	                              POINTS may be @FILE
//	sandbox fault KIND N [PREFIX] the next N API requests (under PREFIX) fail:
//	                              ratelimit, ratelimit-bare, quota, 5xx, reset, short,
//	                              stall (no answer), stall-body (half a body, then none)
//	sandbox clear-faults          no staged fault is left
//	sandbox await COUNTER N       wait until the counter (a field of Stats,
//	                              such as TokenRequests) reaches N
//	sandbox expire-tokens         every access token issued so far expires
//	sandbox edit-issue KEY-N      the issue was edited now (EditJiraIssue)
//	sandbox delete-issue KEY-N    the issue was deleted (DeleteJiraIssue)
//	sandbox issue-error KEY-N     bulkfetch names the issue in issueErrors on
//	                              every try (FailJiraIssueFetch)
//	sandbox edit-page ID          the page or blog post was edited now
//	                              (EditConfluencePage)
//	sandbox comment PAGEID        a new footer comment on the page or blog
//	                              post; prints its id (AddConfluenceComment)
//	sandbox delete-page ID        the page or blog post was purged
//	                              (DeleteConfluencePage)
//
// The last six fail the script when there is no such item. Their ID
// may be @FILE: the id is then what the file in the work directory holds,
// such as a stdout saved with cp.
func cmdSandbox(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! sandbox")
	}
	if len(args) == 0 {
		ts.Fatalf("usage: sandbox SWITCH [ARGS]")
	}
	srv := ts.Value(sandboxKey{}).(*sandbox.Server)
	dur := func(i int) time.Duration {
		d, err := time.ParseDuration(args[i])
		ts.Check(err)
		return d
	}
	switch args[0] {
	case "lifetime":
		srv.SetAccessTokenLifetime(dur(1))
	case "leeway":
		srv.SetReuseLeeway(dur(1))
	case "deny":
		srv.SetDeny(true)
	case "allow":
		srv.SetDeny(false)
	case "withhold":
		srv.SetWithheldScopes(args[1:]...)
	case "fail-token":
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		status, err := strconv.Atoi(args[2])
		ts.Check(err)
		srv.FailTokenRequests(n, status)
	case "token-delay":
		srv.SetTokenDelay(dur(1))
	case "revoke-grants":
		srv.RevokeGrants()
	case "stats":
		st := srv.Stats()
		fmt.Fprintf(ts.Stdout(), "%+v\n", st)
	case "reset-stats":
		srv.ResetStats()
	case "clear-faults":
		srv.ClearFaults()
	case "await":
		if len(args) != 3 {
			ts.Fatalf("usage: sandbox await COUNTER N")
		}
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		awaitCounter(ts, srv, args[1], n)
	case "jira":
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		srv.SetJiraProject(args[1], n, 7, sandbox.JiraOptions{})
	case "confluence":
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		srv.SetConfluenceSpace(args[1], n, 7, sandbox.ConfluenceOptions{})
	case "latency":
		srv.SetLatency(dur(1))
	case "quota":
		if len(args) != 3 {
			ts.Fatalf("usage: sandbox quota POINTS WINDOW")
		}
		n, err := strconv.Atoi(itemID(ts, args[1]))
		ts.Check(err)
		srv.SetPointsQuota(n, dur(2))
	case "fault":
		kinds := map[string]sandbox.FaultKind{
			"ratelimit": sandbox.FaultRateLimit, "ratelimit-bare": sandbox.FaultRateLimitNoRetryAfter,
			"quota": sandbox.FaultQuota, "5xx": sandbox.FaultServerError, "reset": sandbox.FaultReset, "short": sandbox.FaultShortBody,
			"stall": sandbox.FaultStall, "stall-body": sandbox.FaultStallBody,
		}
		kind, ok := kinds[args[1]]
		if !ok {
			ts.Fatalf("unknown fault %q", args[1])
		}
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		spec := sandbox.FaultSpec{Kind: kind, Count: n, RetryAfter: time.Second, Reset: 2 * time.Second}
		if len(args) > 3 {
			spec.PathPrefix = args[3]
		}
		srv.InjectFaults(spec)
	case "expire-tokens":
		srv.ExpireAccessTokens()
	case "edit-issue", "delete-issue", "issue-error", "edit-page", "delete-page":
		if len(args) != 2 {
			ts.Fatalf("usage: sandbox %s ID", args[0])
		}
		change := map[string]func(string) bool{
			"edit-issue": srv.EditJiraIssue, "delete-issue": srv.DeleteJiraIssue, "issue-error": srv.FailJiraIssueFetch,
			"edit-page": srv.EditConfluencePage, "delete-page": srv.DeleteConfluencePage,
		}[args[0]]
		if id := itemID(ts, args[1]); !change(id) {
			ts.Fatalf("sandbox %s: no item %s", args[0], id)
		}
	case "comment":
		if len(args) != 2 {
			ts.Fatalf("usage: sandbox comment PAGEID")
		}
		page := itemID(ts, args[1])
		id, ok := srv.AddConfluenceComment(page)
		if !ok {
			ts.Fatalf("sandbox comment: no page or blog post %s", page)
		}
		fmt.Fprintln(ts.Stdout(), id)
	default:
		ts.Fatalf("unknown sandbox switch %q", args[0])
	}
}

// itemID reads an item id argument of cmdSandbox: the id itself, or
// @FILE for the id the file holds.
func itemID(ts *testscript.TestScript, arg string) string {
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		return strings.TrimSpace(ts.ReadFile(name))
	}
	return arg
}

// cmdExitCode runs a command and checks its exit status; its output can be
// checked afterwards like exec's:
//
//	exitcode 4 aumo status
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N COMMAND [ARGS]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

// cmdClosedPort sets an environment variable to the URL of a loopback
// port that was just listened on and closed: connecting to it is refused
// (a port just closed is seldom handed out again at once).
//
//	closedport DOWN
func cmdClosedPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: closedport VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	url := "http://" + l.Addr().String()
	ts.Check(l.Close())
	ts.Setenv(args[0], url)
}

// awaitCounter waits until the sandbox's counter of that name reaches n:
// the event a story waits for before it acts on a command in the
// background. It gives up after two minutes.
func awaitCounter(ts *testscript.TestScript, srv *sandbox.Server, name string, n int) {
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		v := reflect.ValueOf(srv.Stats()).FieldByName(name)
		if !v.IsValid() || v.Kind() != reflect.Int {
			ts.Fatalf("sandbox await: no counter %s", name)
		}
		if int(v.Int()) >= n {
			return
		}
	}
	ts.Fatalf("sandbox await: %s did not reach %d in two minutes", name, n)
}

// cmdWaitFor waits until a file matching the glob exists and, given a
// regular expression, holds a match: the event a story waits for before it
// interrupts a command running in the background.
//
//	waitfor 'cut/issues/*/issue.json'
//	waitfor abc/manifest.json '"running": true'
//
// It gives up after two minutes, which no healthy run comes near.
func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitfor GLOB [REGEXP]")
	}
	var re *regexp.Regexp
	if len(args) == 2 {
		re = regexp.MustCompile(args[1])
	}
	glob := ts.MkAbs(args[0])
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if anyMatches(glob, re) {
			return
		}
	}
	ts.Fatalf("waitfor: nothing matched %s in two minutes", strings.Join(args, " "))
}

func anyMatches(glob string, re *regexp.Regexp) bool {
	names, _ := filepath.Glob(glob)
	for _, name := range names {
		if re == nil {
			return true
		}
		if b, err := os.ReadFile(name); err == nil && re.Match(b) {
			return true
		}
	}
	return false
}

// fetchMain is a browser without a screen: it fetches the URL and follows
// the redirects, as a person's browser does after they approve.
func fetchMain() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fetch URL")
		os.Exit(2)
	}
	resp, err := http.Get(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("%d %s\n", resp.StatusCode, body)
}

// showsMain checks a page as a browser left it: every issue's key and
// every page's and blog post's title of the export shows in its text.
//
//	shows EXPORT DOMFILE
func showsMain() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: shows EXPORT DOMFILE")
		os.Exit(2)
	}
	text, err := domText(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f, err := os.Open(filepath.Join(os.Args[1], exportformat.IndexName))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lines, _, err := exportformat.ReadIndex(f)
	_ = f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	missing, items := 0, 0
	for _, l := range lines {
		want := ""
		switch l.Kind {
		case exportformat.KindIssue:
			want = l.Key
		case exportformat.KindPage, exportformat.KindBlogpost:
			want = jsonTitle(filepath.Join(os.Args[1], l.Path))
		default:
			continue
		}
		items++
		if !strings.Contains(text, strings.Join(strings.Fields(want), " ")) {
			fmt.Printf("missing: %q (%s)\n", want, l.Path)
			missing++
		}
	}
	fmt.Printf("%d of %d items shown\n", items-missing, items)
	if missing > 0 || items == 0 {
		os.Exit(1)
	}
}

// domText is the text of an HTML file, its runs of white space made one
// space.
func domText(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }()
	doc, err := html.Parse(f)
	if err != nil {
		return "", err
	}
	return nodeText(doc), nil
}

// nodeText is the text under n, its runs of white space made one space.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func jsonTitle(path string) string {
	var doc struct {
		Title string `json:"title"`
	}
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &doc)
	}
	if err != nil {
		return path + ": " + err.Error()
	}
	return doc.Title
}

// fakeBrowserMain plays requests to the login's callback that did not
// come from its authorization server, as any local process or web page can
// send them, then (with the step sign-in) the person's browser signing in.
// It takes the callback from the consent URL's redirect_uri and writes
// each forged request's answer to LOG as "STEP STATUS TEXT", the page's
// text on one line. Without steps it only creates LOG: a browser that
// opened and shows the consent page.
//
//	fakebrowser LOG [STEP...] URL
//
//	wrong-state        a code with a state aumo never sent
//	no-state           a code without any state
//	error-no-state     error=access_denied without any state
//	error-wrong-state  error=access_denied with a state aumo never sent
//	other-path         a request to another path than the callback's
//	sign-in            the consent URL, followed as fetch does
func fakeBrowserMain() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: fakebrowser LOG [STEP...] URL")
		os.Exit(2)
	}
	consent := os.Args[len(os.Args)-1]
	if err := fakeBrowse(os.Args[1], os.Args[2:len(os.Args)-1], consent); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func fakeBrowse(logName string, steps []string, consentURL string) error {
	u, err := url.Parse(consentURL)
	if err != nil {
		return err
	}
	cb, err := url.Parse(u.Query().Get("redirect_uri"))
	if err != nil {
		return err
	}
	forged := map[string]url.Values{
		"wrong-state":       {"code": {"forged-code"}, "state": {"not-the-state-aumo-sent"}},
		"no-state":          {"code": {"forged-code"}},
		"error-no-state":    {"error": {"access_denied"}},
		"error-wrong-state": {"error": {"access_denied"}, "state": {"not-the-state-aumo-sent"}},
		"other-path":        {"code": {"forged-code"}},
	}
	log, err := os.Create(logName)
	if err != nil {
		return err
	}
	defer func() { _ = log.Close() }()
	for _, step := range steps {
		target := *cb
		switch q, ok := forged[step]; {
		case step == "sign-in":
			target = *u
		case !ok:
			return fmt.Errorf("unknown step %q", step)
		default:
			target.RawQuery = q.Encode()
		}
		if step == "other-path" {
			target.Path = "/favicon.ico"
		}
		status, text, err := getText(target.String())
		if err != nil {
			return fmt.Errorf("%s: %w", step, err)
		}
		if step != "sign-in" {
			fmt.Fprintf(log, "%s %d %s\n", step, status, text)
		}
	}
	return nil
}

// getText fetches u, following redirects, and returns the status and the
// page's text with its runs of white space made one space.
func getText(u string) (int, string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	doc, err := html.Parse(resp.Body)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, nodeText(doc), nil
}
