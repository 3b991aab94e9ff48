package atlassian

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	mediaUUID   = "5f0c6f0e-1c2d-4b4a-9a57-1f1e2d3c4b5a"
	attachment  = "/rest/api/3/attachment/content/10000"
	fileContent = "the bytes of picture.jpg"
)

// mediaHost starts a second server as the media host. Every request it
// gets must come without credentials; serve answers the final hop.
func mediaHost(t *testing.T, serve http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if got := r.Header.Get("Authorization"); got != "" {
			t.Errorf("the media host got Authorization %q on %s", got, r.URL.Path)
		}
		if got := r.Header.Get("Cookie"); got != "" {
			t.Errorf("the media host got cookies %q on %s", got, r.URL.Path)
		}
		switch r.URL.Path {
		case "/file/" + mediaUUID + "/binary":
			if r.URL.Query().Get("token") != "signed-jwt" {
				t.Errorf("the signed token did not arrive: %q", r.URL.RawQuery)
			}
			// A second redirect, within the media host.
			http.Redirect(w, r, "/file/"+mediaUUID+"/blob?sig=more-secret", http.StatusFound)
		case "/file/" + mediaUUID + "/blob":
			serve(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// attachmentAPI is a gateway that redirects the attachment to media,
// setting a cookie a careless client would hand on.
func attachmentAPI(t *testing.T, media func() string) (http.HandlerFunc, *atomic.Int32) {
	var hits atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != jiraBase+attachment {
			t.Errorf("unexpected API request %s", r.URL.Path)
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		if got := r.Header.Get("Authorization"); got != "Bearer tok-1" {
			t.Errorf("the API got Authorization %q", got)
		}
		http.SetCookie(w, &http.Cookie{Name: "atlassian.xsrf.token", Value: "session", Path: "/"})
		w.Header().Set("Location", media()+"/file/"+mediaUUID+"/binary?token=signed-jwt&client=abc")
		w.WriteHeader(http.StatusSeeOther)
	}, &hits
}

func serveContent(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(fileContent)))
	_, _ = io.WriteString(w, fileContent)
}

func TestDownloadSendsNoCredentialsToTheMediaHost(t *testing.T) {
	media, mediaHits := mediaHost(t, serveContent)
	api, apiHits := attachmentAPI(t, func() string { return media.URL })
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Both servers listen on 127.0.0.1, so a jar would hand the API's
	// cookie to the media host, and Go's own redirect handling would
	// keep Authorization (it compares host names without ports).
	h := setup(t, api, func(o *Options) { o.HTTPClient = &http.Client{Jar: jar} })

	var d Download
	var got []byte
	err = h.c.RetryDownload(t.Context(), attachment, func(dl *Download) error {
		d = *dl
		var err error
		got, err = io.ReadAll(dl.Body)
		return err
	})
	if err != nil || string(got) != fileContent {
		t.Fatalf("body %q, %v", got, err)
	}
	if d.Size != int64(len(fileContent)) || d.ContentType != "image/jpeg" || d.MediaID != mediaUUID {
		t.Fatalf("download %+v", d)
	}
	if want := media.URL + "/file/" + mediaUUID + "/binary"; d.Location != want {
		t.Fatalf("Location %q, want %q", d.Location, want)
	}
	if apiHits.Load() != 1 || mediaHits.Load() != 2 {
		t.Fatalf("%d API and %d media requests", apiHits.Load(), mediaHits.Load())
	}
	// One point for the gateway request and one for the attachment; the
	// two media hops count neither as requests nor as points.
	if s := h.c.Stats(); s.Requests != 1 || s.Points != 2 {
		t.Fatalf("stats %+v: the media hops count", s)
	}
}

func TestDownloadRedirectBackToTheAPIHostCarriesNoToken(t *testing.T) {
	var h *harness
	h = setup(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case jiraBase + attachment:
			http.Redirect(w, r, h.srv.URL+"/mirror/file/"+mediaUUID+"/binary?token=x", http.StatusSeeOther)
		case "/mirror/file/" + mediaUUID + "/binary":
			if got := r.Header.Get("Authorization"); got != "" {
				t.Errorf("the redirect target got Authorization %q", got)
			}
			serveContent(w, r)
		}
	}, nil)
	var mediaID string
	err := h.c.RetryDownload(t.Context(), attachment, func(d *Download) error {
		mediaID = d.MediaID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if mediaID != mediaUUID {
		t.Fatalf("MediaID %q", mediaID)
	}
}

func TestDownloadWithoutRedirect(t *testing.T) {
	h := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("redirect") != "false" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		serveContent(w, r)
	}, nil)
	var d Download
	var got []byte
	err := h.c.RetryDownload(t.Context(), attachment+"?redirect=false", func(dl *Download) error {
		d = *dl
		var err error
		got, err = io.ReadAll(dl.Body)
		return err
	})
	if err != nil || string(got) != fileContent || d.Location != "" || d.MediaID != "" {
		t.Fatalf("body %q, %v, download %+v", got, err, d)
	}
}

func TestDownloadReportsAShortBody(t *testing.T) {
	media, _ := mediaHost(t, func(w http.ResponseWriter, _ *http.Request) {
		shortAnswer(t, w, len(fileContent), fileContent[:5])
	})
	api, _ := attachmentAPI(t, func() string { return media.URL })
	h := setup(t, api, func(o *Options) {
		o.HTTPClient = noKeepAlives()
		o.MaxAttempts = 2
	})
	var calls int
	err := h.c.RetryDownload(t.Context(), attachment, func(d *Download) error {
		calls++
		_, err := io.ReadAll(d.Body)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("reading a short body: %v", err)
		}
		return err
	})
	var re *RetryExhaustedError
	if !errors.As(err, &re) || re.Attempts != 2 || !errors.Is(err, io.ErrUnexpectedEOF) || calls != 2 {
		t.Fatalf("error %v after %d consume calls", err, calls)
	}
}

func TestCheckedBodyCatchesAQuietShortRead(t *testing.T) {
	// A Transport that ends a short body with a plain EOF.
	b := &checkedBody{rc: io.NopCloser(strings.NewReader("12345")), size: 10, path: attachment}
	_, err := io.ReadAll(b)
	if !errors.Is(err, io.ErrUnexpectedEOF) || b.err == nil {
		t.Fatalf("error %v", err)
	}
	b = &checkedBody{rc: io.NopCloser(strings.NewReader("12345")), size: -1}
	if got, err := io.ReadAll(b); err != nil || string(got) != "12345" || b.err != nil {
		t.Fatalf("unknown size: %q, %v", got, err)
	}
}

func TestRetryDownloadStartsOver(t *testing.T) {
	var served atomic.Int32
	media, _ := mediaHost(t, func(w http.ResponseWriter, r *http.Request) {
		switch served.Add(1) {
		case 1:
			shortAnswer(t, w, len(fileContent), fileContent[:5])
		case 2:
			reply(w, http.StatusServiceUnavailable, ``)
		default:
			serveContent(w, r)
		}
	})
	api, apiHits := attachmentAPI(t, func() string { return media.URL })
	h := setup(t, api, func(o *Options) { o.HTTPClient = noKeepAlives() })

	var sink bytes.Buffer
	var calls int
	err := h.c.RetryDownload(t.Context(), attachment, func(d *Download) error {
		calls++
		sink.Reset()
		_, err := io.Copy(&sink, d.Body)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if sink.String() != fileContent || calls != 2 || apiHits.Load() != 3 {
		t.Fatalf("sink %q after %d consume calls and %d API requests", sink.String(), calls, apiHits.Load())
	}
	if got := h.clock.Waits(); !slices.Equal(got, []time.Duration{2 * time.Second, 4 * time.Second}) {
		t.Fatalf("waits %v", got)
	}
	if s := h.c.Stats(); s.Retries != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestRetryDownloadLeavesSinkErrorsAlone(t *testing.T) {
	media, _ := mediaHost(t, serveContent)
	api, apiHits := attachmentAPI(t, func() string { return media.URL })
	h := setup(t, api, nil)
	errDiskFull := errors.New("no space left on device")
	err := h.c.RetryDownload(t.Context(), attachment, func(d *Download) error {
		_, _ = io.Copy(io.Discard, d.Body)
		return errDiskFull
	})
	if !errors.Is(err, errDiskFull) || apiHits.Load() != 1 {
		t.Fatalf("error %v after %d downloads", err, apiHits.Load())
	}
}

func TestRetryDownloadGivesUp(t *testing.T) {
	media, _ := mediaHost(t, func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusBadGateway, ``)
	})
	api, apiHits := attachmentAPI(t, func() string { return media.URL })
	h := setup(t, api, func(o *Options) { o.MaxAttempts = 3 })
	err := h.c.RetryDownload(t.Context(), attachment, func(*Download) error {
		t.Error("consume called without a download")
		return nil
	})
	var re *RetryExhaustedError
	var e *Error
	if !errors.As(err, &re) || re.Attempts != 3 || !errors.As(err, &e) || e.Status != http.StatusBadGateway || apiHits.Load() != 3 {
		t.Fatalf("error %v after %d downloads", err, apiHits.Load())
	}
	if strings.Contains(err.Error(), "signed-jwt") || strings.Contains(err.Error(), "more-secret") {
		t.Fatalf("error text %q shows the signed URL", err)
	}
}

func TestDownloadErrorsFromTheAPI(t *testing.T) {
	h := setup(t, func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusNotFound, `{"errorMessages":["The attachment does not exist."]}`)
	}, nil)
	err := h.c.RetryDownload(t.Context(), attachment, func(*Download) error { return nil })
	if !IsNotFound(err) || h.c.Stats().Requests != 1 {
		t.Fatalf("error %v, stats %+v", err, h.c.Stats())
	}

	h = setup(t, func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusForbidden, `{"errorMessages":["You may not see this attachment."]}`)
	}, nil)
	err = h.c.RetryDownload(t.Context(), attachment, func(*Download) error {
		t.Error("consume called without a download")
		return nil
	})
	var e *Error
	var re *RetryExhaustedError
	if !IsForbidden(err) || !errors.As(err, &e) || e.Media || errors.As(err, &re) || h.c.Stats().Requests != 1 {
		t.Fatalf("error %v, stats %+v", err, h.c.Stats())
	}
}

func TestRetryDownloadRetries(t *testing.T) {
	errShort := fmt.Errorf("%w: 5 of %d bytes", ErrBadContent, len(fileContent))
	readAll := func(sink *bytes.Buffer, d *Download) error {
		sink.Reset()
		_, err := io.Copy(sink, d.Body)
		return err
	}
	for _, tc := range []struct {
		name        string
		maxAttempts int
		// media answers the n-th request for the file (from 1).
		media func(n int32, w http.ResponseWriter, r *http.Request)
		// consume is call n (from 1) of the consume function.
		consume func(t *testing.T, n int, sink *bytes.Buffer, d *Download) error
		check   func(t *testing.T, err error)
		// wantCalls counts consume calls, wantAPI gateway requests.
		wantCalls, wantAPI int
		wantPoints         int64
		wantWaits          []time.Duration
		wantSink           string
	}{
		{
			name:  "bad content, then good",
			media: func(_ int32, w http.ResponseWriter, r *http.Request) { serveContent(w, r) },
			consume: func(_ *testing.T, n int, sink *bytes.Buffer, d *Download) error {
				if err := readAll(sink, d); err != nil || n > 1 {
					return err
				}
				return errShort
			},
			check: func(t *testing.T, err error) {
				if err != nil {
					t.Fatal(err)
				}
			},
			wantCalls: 2, wantAPI: 2, wantPoints: 4,
			wantWaits: []time.Duration{2 * time.Second}, wantSink: fileContent,
		},
		{
			name:        "bad content every time",
			maxAttempts: 3,
			media:       func(_ int32, w http.ResponseWriter, r *http.Request) { serveContent(w, r) },
			consume: func(_ *testing.T, _ int, sink *bytes.Buffer, d *Download) error {
				if err := readAll(sink, d); err != nil {
					return err
				}
				return errShort
			},
			check: func(t *testing.T, err error) {
				var re *RetryExhaustedError
				if !errors.As(err, &re) || re.Attempts != 3 || !errors.Is(err, ErrBadContent) || !errors.Is(re.Err, errShort) {
					t.Fatalf("error %v", err)
				}
			},
			wantCalls: 3, wantAPI: 3, wantPoints: 6,
			wantWaits: []time.Duration{2 * time.Second, 4 * time.Second}, wantSink: fileContent,
		},
		{
			name: "a stale media link",
			media: func(n int32, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					reply(w, http.StatusForbidden, `{"message":"the token expired"}`)
					return
				}
				serveContent(w, r)
			},
			consume: func(_ *testing.T, _ int, sink *bytes.Buffer, d *Download) error { return readAll(sink, d) },
			check: func(t *testing.T, err error) {
				if err != nil {
					t.Fatal(err)
				}
			},
			wantCalls: 1, wantAPI: 2, wantPoints: 3,
			wantWaits: []time.Duration{2 * time.Second}, wantSink: fileContent,
		},
		{
			name:        "the media host refuses every link",
			maxAttempts: 2,
			media: func(_ int32, w http.ResponseWriter, _ *http.Request) {
				reply(w, http.StatusNotFound, `{"message":"no such file"}`)
			},
			consume: func(t *testing.T, _ int, _ *bytes.Buffer, _ *Download) error {
				t.Error("consume called without a download")
				return nil
			},
			check: func(t *testing.T, err error) {
				var re *RetryExhaustedError
				var e *Error
				if !errors.As(err, &re) || re.Attempts != 2 || !errors.As(err, &e) || !e.Media || !IsNotFound(err) {
					t.Fatalf("error %v", err)
				}
				if strings.Contains(err.Error(), "signed-jwt") || strings.Contains(err.Error(), "more-secret") {
					t.Fatalf("error text %q shows the signed URL", err)
				}
			},
			wantCalls: 0, wantAPI: 2, wantPoints: 2,
			wantWaits: []time.Duration{2 * time.Second},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var served atomic.Int32
			media, _ := mediaHost(t, func(w http.ResponseWriter, r *http.Request) {
				tc.media(served.Add(1), w, r)
			})
			api, apiHits := attachmentAPI(t, func() string { return media.URL })
			h := setup(t, api, func(o *Options) { o.MaxAttempts = tc.maxAttempts })
			var sink bytes.Buffer
			var calls int
			err := h.c.RetryDownload(t.Context(), attachment, func(d *Download) error {
				calls++
				return tc.consume(t, calls, &sink, d)
			})
			tc.check(t, err)
			if calls != tc.wantCalls || int(apiHits.Load()) != tc.wantAPI || sink.String() != tc.wantSink {
				t.Fatalf("%d consume calls, %d API requests, sink %q", calls, apiHits.Load(), sink.String())
			}
			if got := h.clock.Waits(); !slices.Equal(got, tc.wantWaits) {
				t.Fatalf("waits %v, want %v", got, tc.wantWaits)
			}
			s := h.c.Stats()
			if s.Requests != int64(tc.wantAPI) || s.Points != tc.wantPoints || s.Retries != int64(tc.wantAPI-1) {
				t.Fatalf("stats %+v, want %d points", s, tc.wantPoints)
			}
		})
	}
}

func TestRetryDownloadCountsAPointPerDownload(t *testing.T) {
	media, _ := mediaHost(t, serveContent)
	api, _ := attachmentAPI(t, func() string { return media.URL })
	h := setup(t, api, nil)
	for range 3 {
		if err := h.c.RetryDownload(t.Context(), attachment, func(d *Download) error {
			_, err := io.Copy(io.Discard, d.Body)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Each download: its gateway request and the attachment itself.
	if s := h.c.Stats(); s.Requests != 3 || s.Points != 6 {
		t.Fatalf("stats %+v", s)
	}
	// The endpoint of each: the API path it was asked for.
	if s := h.c.Stats(); len(s.Endpoints) != 1 || s.Endpoints["/rest/api/3/attachment/content/{id}"] != (Cost{Requests: 3, Points: 6}) {
		t.Fatalf("endpoints %+v", s.Endpoints)
	}
}

func TestMediaID(t *testing.T) {
	for path, want := range map[string]string{
		"/file/" + mediaUUID + "/binary":        mediaUUID,
		"/media/file/" + mediaUUID + "/binary/": mediaUUID,
		"/file//binary":                         "",
		"/file/" + mediaUUID:                    "",
		"/download/attachments/1/a.png":         "",
	} {
		if got := mediaID(path); got != want {
			t.Errorf("mediaID(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestDownloadNeverLeavesHTTPS refuses a download the gateway, over
// https, redirects to plain http, and a media host's redirect from https
// to http: nothing is fetched in clear.
func TestDownloadNeverLeavesHTTPS(t *testing.T) {
	plain, plainHits := mediaHost(t, serveContent)
	secureMedia := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/file/"+mediaUUID+"/blob", http.StatusFound)
	}))
	t.Cleanup(secureMedia.Close)
	for name, target := range map[string]func() string{
		"the gateway to http":    func() string { return plain.URL },
		"the media host to http": func() string { return secureMedia.URL },
	} {
		t.Run(name, func(t *testing.T) {
			api, _ := attachmentAPI(t, target)
			gw := httptest.NewTLSServer(api)
			t.Cleanup(gw.Close)
			client := gw.Client()
			client.Transport.(*http.Transport).TLSClientConfig.RootCAs.AddCert(secureMedia.Certificate())
			h := setup(t, func(http.ResponseWriter, *http.Request) {}, func(o *Options) {
				o.APIURL, o.HTTPClient = gw.URL, client
			})
			err := h.c.RetryDownload(t.Context(), attachment, func(dl *Download) error {
				_, err := io.ReadAll(dl.Body)
				return err
			})
			if !errors.Is(err, ErrDowngrade) {
				t.Errorf("download: %v, want a refused downgrade", err)
			}
			if plainHits.Load() != 0 {
				t.Errorf("%d requests reached the plain-http host", plainHits.Load())
			}
		})
	}
}

// TestDownloadsGoWiderThanTheOtherRequests: with one request in flight
// allowed, and that one held by a JSON call, DownloadsPerSlot downloads
// still reach the gateway at the same time.
func TestDownloadsGoWiderThanTheOtherRequests(t *testing.T) {
	media, _ := mediaHost(t, serveContent)
	api, _ := attachmentAPI(t, func() string { return media.URL })
	arrived := make(chan struct{}, DownloadsPerSlot)
	all := make(chan struct{})
	jsonHeld := make(chan struct{})
	h := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == jiraBase+"/rest/api/3/myself" {
			close(jsonHeld)
			<-all
			reply(w, http.StatusOK, `{}`)
			return
		}
		arrived <- struct{}{}
		<-all // every download's gateway request is in flight at once
		api(w, r)
	}, func(o *Options) { o.Concurrency = 1 })

	errs := make(chan error, DownloadsPerSlot+1)
	go func() { errs <- h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil) }()
	<-jsonHeld
	for range DownloadsPerSlot {
		go func() {
			errs <- h.c.RetryDownload(t.Context(), attachment, func(d *Download) error {
				_, err := io.Copy(io.Discard, d.Body)
				return err
			})
		}()
	}
	for range DownloadsPerSlot {
		<-arrived
	}
	close(all)
	for range DownloadsPerSlot + 1 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestDownloadLimitHalvesOnItsOwn429: Atlassian meters attachment
// content in its own bucket, so a 429 to a download halves the
// downloads' limit and leaves the other requests' alone, and the other
// way round.
func TestDownloadLimitHalvesOnItsOwn429(t *testing.T) {
	media, _ := mediaHost(t, serveContent)
	api, _ := attachmentAPI(t, func() string { return media.URL })
	var limited atomic.Int32
	limited.Store(1)
	h := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if limited.Add(-1) >= 0 {
			w.Header().Set("Retry-After", "1")
			reply(w, http.StatusTooManyRequests, `{}`)
			return
		}
		if r.URL.Path == jiraBase+attachment {
			api(w, r)
			return
		}
		reply(w, http.StatusOK, `{}`)
	}, nil)
	download := func() {
		t.Helper()
		if err := h.c.RetryDownload(t.Context(), attachment, func(d *Download) error {
			_, err := io.Copy(io.Discard, d.Body)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	download()
	if api, downloads := h.c.Stats().Concurrency, h.c.downloads.current(); api != 4 || downloads != 4*DownloadsPerSlot/2 {
		t.Fatalf("after a download's 429: limits %d for requests, %d for downloads", api, downloads)
	}
	limited.Store(1)
	if err := h.c.GetJSON(t.Context(), "/rest/api/3/myself", nil, nil); err != nil {
		t.Fatal(err)
	}
	if api, downloads := h.c.Stats().Concurrency, h.c.downloads.current(); api != 2 || downloads != 4*DownloadsPerSlot/2 {
		t.Fatalf("after a JSON call's 429: limits %d for requests, %d for downloads", api, downloads)
	}
}
