package sandbox

// The test collection imitates no product on purpose: it carries what an
// exporter meets in Jira and Confluence alike (cursor paging, items that
// vanish between listing and fetching, downloads that redirect off the
// gateway, hostile attachment names) without either product's shapes, so
// that export code can be tested apart from them. Items are generated on
// demand from (seed, site, position), so that a collection of millions
// costs nothing until it is read.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Paging of GET /ex/test/{cloudId}/items.
const (
	DefaultTestPageSize = 50
	MaxTestPageSize     = 100
)

// MaxTestItems bounds SetTestItems: an item's position must fit the
// attachment uuid.
const MaxTestItems = math.MaxInt32

// TestVanishedEvery places the vanished items of the test collection:
// every item whose 1-based number is a multiple of it (T-25, T-50, …) is
// listed but answers 404 when fetched, as an issue or page deleted
// between a search and the fetch does; its attachments answer 404 too.
// This is fixed by position, whatever the seed.
const TestVanishedEvery = 25

// testItemIDBase and testAttachmentIDBase start the numeric ids, which
// look like Jira's and encode the position: attachment ids hold the item
// position times testMaxAttachments plus the attachment's index.
const (
	testItemIDBase       = 10000
	testAttachmentIDBase = 100000
	testMaxAttachments   = 16
)

// testEpoch is the "updated" time of the first item; later items are
// older, so that the collection reads newest first.
var testEpoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// TestItem is one item of the generic test collection, as the API shows
// it.
type TestItem struct {
	ID          string           `json:"id"`
	Key         string           `json:"key"` // "T-1" for the first item
	Title       string           `json:"title"`
	Updated     time.Time        `json:"updated"` // whole seconds, UTC, so RFC 3339 in JSON
	Attachments []TestAttachment `json:"attachments"`
	// Vanished items are listed but answer 404; see TestVanishedEvery.
	Vanished bool `json:"-"`
}

// TestAttachment is one attachment of a TestItem.
type TestAttachment struct {
	ID       string `json:"id"`
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
}

// testItems is the collection's configuration, guarded by Server.mu.
type testItems struct {
	n    int
	seed uint64
}

// SetTestItems makes the test collection of every site hold n items
// generated from seed; the default is none. The test collection is the
// sandbox's own generic API, not an Atlassian one: export code reads it
// until the product APIs exist. Every route needs a valid bearer token,
// of any scope, and a cloud id from Options.Sites (else 404):
//
//	GET /ex/test/{cloudId}/items?cursor=…&limit=…
//	  → {"items":[TestItem…],"next":"<cursor>"}; next is "" on the last
//	    page. limit defaults to DefaultTestPageSize and is capped at
//	    MaxTestPageSize; a bad limit or cursor gets 400.
//	GET /ex/test/{cloudId}/items/{id}
//	  → one TestItem, or 404 for a vanished item (see TestVanishedEvery).
//	GET /ex/test/{cloudId}/attachments/{aid}/content
//	  → 303 to MediaURL()+"/file/<uuid>/binary?token=…", as Jira's
//	    attachment content does; the media host serves exactly Size
//	    bytes, the same for the same seed in every run.
//
// Each site gets different items from the same seed. Items are generated
// when read, never stored, so n may be large (up to MaxTestItems).
// Changing the collection mid-run keeps cursors as offsets into the new
// one; download links issued before a change of seed stop working.
//
// Items cycle through hostile attachment names by position, so any
// collection of seven items or more holds each kind (item i, 0-based,
// with i%20 of):
//
//	1  "../../etc/passwd"
//	2  "report.pdf" twice and "Report.PDF": duplicates on one item
//	3  a name of 290 runes and 420 bytes of UTF-8
//	4  "con.txt" and "LPT1", names Windows reserves
//	5  names with a tab, a newline, a carriage return, ESC and DEL
//	6  "/etc/shadow", "dir/sub/file.txt", "back\\slash.txt", ".." and
//	   "trailing dot. "
//
// Other items have zero to three plainly named attachments of random
// size, a few of them empty and a few up to a mebibyte.
func (s *Server) SetTestItems(n int, seed int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gw.items = testItems{n: min(max(n, 0), MaxTestItems), seed: uint64(seed)} //nolint:gosec // the seed's bits, not its value, matter
}

func (s *Server) registerTestRoutes() {
	s.mux.HandleFunc("GET /ex/test/{cloudId}/items", s.handleTestItems)
	s.mux.HandleFunc("GET /ex/test/{cloudId}/items/{id}", s.handleTestItem)
	s.mux.HandleFunc("GET /ex/test/{cloudId}/attachments/{aid}/content", s.handleTestAttachmentContent)
}

// siteIndex returns the position of the site cloudID in s.sites. Only
// the first 256 sites have a test collection: the index must fit a byte
// of the attachment uuid.
func (s *Server) siteIndex(cloudID string) (int, bool) {
	for i, site := range s.sites {
		if site.CloudID == cloudID && i < 256 {
			return i, true
		}
	}
	return 0, false
}

func (s *Server) testItemsConfig() testItems {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gw.items
}

// TestItemAt returns item i (0-based) of the test collection of the site
// cloudID, as the API shows it, vanished or not; false if there is no such
// site or item. Tests use it to know what an export should contain.
func (s *Server) TestItemAt(cloudID string, i int) (TestItem, bool) {
	site, ok := s.siteIndex(cloudID)
	cfg := s.testItemsConfig()
	if !ok || i < 0 || i >= cfg.n {
		return TestItem{}, false
	}
	return genTestItem(cfg.seed, site, i), true
}

// TestAttachmentContent returns the bytes the media host serves for an
// attachment of the test collection; false if there is no such site or
// attachment. Tests use it to check a download.
func (s *Server) TestAttachmentContent(cloudID, attachmentID string) (io.Reader, bool) {
	site, ok := s.siteIndex(cloudID)
	if !ok {
		return nil, false
	}
	cfg := s.testItemsConfig()
	i, j, ok := parseTestAttachmentID(attachmentID, cfg.n)
	if !ok {
		return nil, false
	}
	item := genTestItem(cfg.seed, site, i)
	if j >= len(item.Attachments) {
		return nil, false
	}
	return testContent(cfg.seed, site, i, j, item.Attachments[j].Size), true
}

func (s *Server) handleTestItems(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.RequireBearer(w, r); !ok {
		return
	}
	site, ok := s.siteIndex(r.PathValue("cloudId"))
	if !ok {
		writeAPIError(w, http.StatusNotFound, "Site not found")
		return
	}
	cfg := s.testItemsConfig()
	q := r.URL.Query()
	limit := DefaultTestPageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeAPIError(w, http.StatusBadRequest, "limit must be a positive integer")
			return
		}
		limit = min(n, MaxTestPageSize)
	}
	offset := 0
	if c := q.Get("cursor"); c != "" {
		var ok bool
		if offset, ok = parseTestCursor(c); !ok {
			writeAPIError(w, http.StatusBadRequest, "Invalid cursor")
			return
		}
	}
	offset = min(offset, cfg.n) // and offset+limit cannot overflow
	end := min(offset+limit, cfg.n)
	page := struct {
		Items []TestItem `json:"items"`
		Next  string     `json:"next"`
	}{Items: []TestItem{}}
	for i := offset; i < end; i++ {
		page.Items = append(page.Items, genTestItem(cfg.seed, site, i))
	}
	if end < cfg.n {
		page.Next = testCursor(end)
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) handleTestItem(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.RequireBearer(w, r); !ok {
		return
	}
	site, ok := s.siteIndex(r.PathValue("cloudId"))
	if !ok {
		writeAPIError(w, http.StatusNotFound, "Site not found")
		return
	}
	cfg := s.testItemsConfig()
	i, ok := parseTestItemID(r.PathValue("id"), cfg.n)
	if !ok {
		writeAPIError(w, http.StatusNotFound, "Item does not exist or you do not have permission to see it")
		return
	}
	item := genTestItem(cfg.seed, site, i)
	if item.Vanished {
		writeAPIError(w, http.StatusNotFound, "Item does not exist or you do not have permission to see it")
		return
	}
	writeJSON(w, http.StatusOK, item)
}

// handleTestAttachmentContent redirects as Jira's attachment content does:
// 303 to the media host, whose signed link needs no bearer token.
func (s *Server) handleTestAttachmentContent(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.RequireBearer(w, r); !ok {
		return
	}
	site, ok := s.siteIndex(r.PathValue("cloudId"))
	if !ok {
		writeAPIError(w, http.StatusNotFound, "Site not found")
		return
	}
	cfg := s.testItemsConfig()
	i, j, ok := parseTestAttachmentID(r.PathValue("aid"), cfg.n)
	if ok {
		item := genTestItem(cfg.seed, site, i)
		ok = !item.Vanished && j < len(item.Attachments)
	}
	if !ok {
		writeAPIError(w, http.StatusNotFound, "Attachment does not exist or you do not have permission to see it")
		return
	}
	uuid := mediaUUID(cfg.seed, site, i, j)
	// The media host is this listener under another name, on whatever
	// port the request came in: that holds for Handler on another
	// listener too.
	target := mediaBase(r.Host) + "/file/" + uuid + "/binary?token=" + s.mediaToken(uuid)
	http.Redirect(w, r, target, http.StatusSeeOther) //nolint:gosec // always the media host's name; only the port comes from the request
}

func testCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset)))
}

func parseTestCursor(c string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), "offset:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || strconv.Itoa(n) != rest {
		return 0, false
	}
	return n, true
}

func testItemID(i int) string { return strconv.FormatInt(testItemIDBase+int64(i), 10) }

func testAttachmentID(i, j int) string {
	return strconv.FormatInt(testAttachmentIDBase+int64(i)*testMaxAttachments+int64(j), 10)
}

// parseCanonical accepts only the decimal form the sandbox writes, so
// that "010001" or "+10001" is not an alias of an item.
func parseCanonical(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && strconv.FormatInt(n, 10) == s
}

func parseTestItemID(id string, n int) (int, bool) {
	v, ok := parseCanonical(id)
	if !ok || v < testItemIDBase || v-testItemIDBase >= int64(n) {
		return 0, false
	}
	return int(v - testItemIDBase), true
}

func parseTestAttachmentID(id string, n int) (item, att int, ok bool) {
	v, ok := parseCanonical(id)
	if !ok || v < testAttachmentIDBase {
		return 0, 0, false
	}
	v -= testAttachmentIDBase
	if v/testMaxAttachments >= int64(n) {
		return 0, 0, false
	}
	return int(v / testMaxAttachments), int(v % testMaxAttachments), true
}

var (
	testAdjectives = []string{"Quarterly", "Urgent", "Archived", "Draft", "Final", "Revised", "Shared", "Legacy"}
	testNouns      = []string{"report", "invoice", "roadmap", "minutes", "design", "budget", "contract", "survey"}
	testTopics     = []string{"Falcon", "Harbour", "Juniper", "Meridian", "Osprey", "Quartz", "Sable", "Tundra"}
	testExtensions = []string{".pdf", ".png", ".txt", ".docx", ".csv", ".zip", ".json", ".jpg"}
)

// hostileNames are the attachment names of the items whose position
// modulo 20 is the key; see SetTestItems.
var hostileNames = map[int][]string{
	1: {"../../etc/passwd"},
	2: {"report.pdf", "report.pdf", "Report.PDF"},
	3: {strings.Repeat("Überraschungsei-日本語-📎-", 13) + ".txt"},
	4: {"con.txt", "LPT1"},
	5: {"tab\there.txt", "line\nbreak.txt", "carriage\rreturn.txt", "esc\x1b[31mred.txt", "del\x7f.txt"},
	6: {"/etc/shadow", "dir/sub/file.txt", `back\slash.txt`, "..", "trailing dot. "},
}

// genTestItem builds item i of a site's collection. Every random draw
// comes from a generator seeded by (seed, site, i) alone, so any item can
// be built without the ones before it.
func genTestItem(seed uint64, site, i int) TestItem {
	r := rand.New(rand.NewPCG(seed, uint64(site)<<48^uint64(i))) //nolint:gosec // test data must be reproducible, not secret
	item := TestItem{
		ID:  testItemID(i),
		Key: "T-" + strconv.Itoa(i+1),
		Title: fmt.Sprintf("%s %s for %s #%d", testAdjectives[r.IntN(len(testAdjectives))],
			testNouns[r.IntN(len(testNouns))], testTopics[r.IntN(len(testTopics))], i+1),
		Updated:  testEpoch.Add(-time.Duration(i)*37*time.Minute - time.Duration(r.IntN(30*60))*time.Second),
		Vanished: (i+1)%TestVanishedEvery == 0,
	}
	names, hostile := hostileNames[i%20]
	if !hostile {
		for range r.IntN(4) {
			names = append(names, testNouns[r.IntN(len(testNouns))]+"-"+strconv.Itoa(r.IntN(1000))+
				testExtensions[r.IntN(len(testExtensions))])
		}
	}
	item.Attachments = make([]TestAttachment, len(names))
	for j, name := range names {
		item.Attachments[j] = TestAttachment{ID: testAttachmentID(i, j), Filename: name, Size: testSize(r)}
	}
	return item
}

// testSize draws an attachment size: mostly small so that tests stay
// quick, some empty, rarely large enough to stream in many pieces.
func testSize(r *rand.Rand) int64 {
	switch x := r.IntN(100); {
	case x < 8:
		return 0
	case x < 98:
		return 1 + r.Int64N(32<<10)
	default:
		return 256<<10 + r.Int64N(768<<10)
	}
}

// testContent returns an attachment's bytes, generated as they are read.
func testContent(seed uint64, site, i, j int, size int64) io.Reader {
	var key [32]byte
	h := sha256.New()
	h.Write([]byte("aumo-sandbox-content"))
	h.Write(mediaData(seed, site, i, j))
	h.Sum(key[:0])
	return io.LimitReader(rand.NewChaCha8(key), size)
}

// mediaData packs what the media host needs to find an attachment again.
// site < 256, j < testMaxAttachments and i ≤ MaxTestItems, so nothing is
// lost.
func mediaData(seed uint64, site, i, j int) []byte {
	b := make([]byte, 0, 14)
	b = binary.BigEndian.AppendUint64(b, seed)
	b = append(b, byte(site), byte(j))                 //nolint:gosec // in range, see above
	return binary.BigEndian.AppendUint32(b, uint32(i)) //nolint:gosec // in range, see above
}
