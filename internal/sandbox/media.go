package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// mediaTokenLifetime is how long a download link lasts. Atlassian's media
// links are short-lived too: a client must follow the redirect at once,
// not collect links to fetch later.
const mediaTokenLifetime = 2 * time.Minute

// MediaURL returns the base URL of the media host, such as
// "http://localhost:41234", or "" before Start. It is the same listener
// as URL under another host name, as api.media.atlassian.com is another
// host than api.atlassian.com: a client that follows the download
// redirect must not send its bearer token there.
//
// The media host serves only GET /file/{uuid}/binary?token=…, the target
// of the download redirects; every other path on it is 404. A request to
// it that carries an Authorization or Cookie header is answered 400 and
// counted in Stats.MediaRequestsWithCredentials, so a test can prove that
// credentials never reach it. A token that is missing, altered, for
// another file or expired (by Options.Now) gets 401.
func (s *Server) MediaURL() string {
	u := s.URL()
	if u == "" {
		return ""
	}
	return mediaBase(strings.TrimPrefix(u, "http://"))
}

// mediaBase is the media host's URL on the port of hostport.
func mediaBase(hostport string) string {
	if _, port, err := net.SplitHostPort(hostport); err == nil {
		return "http://" + net.JoinHostPort(mediaHostname, port)
	}
	return "http://" + mediaHostname
}

// mediaUUID names an attachment's file on the media host. It is a version
// 4 uuid whose last six bytes carry the attachment's position, masked by
// the seed, and whose other bytes are a digest of (seed, position); the
// media host reads the position back and rebuilds the uuid to check it,
// so it needs no table of the links it has handed out.
func mediaUUID(seed uint64, site, i, j int) string {
	data := mediaData(seed, site, i, j)
	tag := sha256.Sum256(append([]byte("aumo-sandbox-media"), data...))
	mask := mediaMask(seed)
	var u [16]byte
	copy(u[:10], tag[:10])
	for k := range 6 {
		u[10+k] = data[8+k] ^ mask[k]
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return hex.EncodeToString(u[0:4]) + "-" + hex.EncodeToString(u[4:6]) + "-" + hex.EncodeToString(u[6:8]) +
		"-" + hex.EncodeToString(u[8:10]) + "-" + hex.EncodeToString(u[10:16])
}

func mediaMask(seed uint64) [sha256.Size]byte {
	return sha256.Sum256(binary.BigEndian.AppendUint64([]byte("aumo-sandbox-mask"), seed))
}

// parseMediaUUID returns the position a uuid of mediaUUID stands for.
func parseMediaUUID(seed uint64, uuid string) (site, i, j int, ok bool) {
	raw, err := hex.DecodeString(strings.ReplaceAll(uuid, "-", ""))
	if err != nil || len(raw) != 16 {
		return 0, 0, 0, false
	}
	mask := mediaMask(seed)
	var data [6]byte
	for k := range data {
		data[k] = raw[10+k] ^ mask[k]
	}
	site, j, i = int(data[0]), int(data[1]), int(binary.BigEndian.Uint32(data[2:]))
	return site, i, j, mediaUUID(seed, site, i, j) == uuid
}

// mediaToken signs a uuid, shaped as the JWT Atlassian's media links
// carry; only the sandbox's random secret can make one.
func (s *Server) mediaToken(uuid string) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(mediaClaims{Subject: uuid, Expires: s.now().Add(mediaTokenLifetime).Unix()})
	signed := header + "." + base64.RawURLEncoding.EncodeToString(claims)
	return signed + "." + base64.RawURLEncoding.EncodeToString(s.mediaSignature(signed))
}

type mediaClaims struct {
	Subject string `json:"sub"`
	Expires int64  `json:"exp"`
}

func (s *Server) mediaSignature(signed string) []byte {
	mac := hmac.New(sha256.New, s.gw.mediaSecret)
	mac.Write([]byte(signed))
	return mac.Sum(nil)
}

// mediaTokenValid reports whether token is a live signature of uuid.
func (s *Server) mediaTokenValid(token, uuid string) bool {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return false
	}
	signed := token[:i]
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil || !hmac.Equal(sig, s.mediaSignature(signed)) {
		return false
	}
	_, payload, ok := strings.Cut(signed, ".")
	if !ok {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	var c mediaClaims
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return false
	}
	return c.Subject == uuid && s.now().Before(time.Unix(c.Expires, 0))
}

func (s *Server) handleMediaFile(w http.ResponseWriter, r *http.Request) {
	uuid := r.PathValue("uuid")
	if !s.mediaTokenValid(r.URL.Query().Get("token"), uuid) {
		writeAPIError(w, http.StatusUnauthorized, "The token is missing, invalid or expired")
		return
	}
	cfg := s.testItemsConfig()
	site, i, j, ok := parseMediaUUID(cfg.seed, uuid)
	var item TestItem
	if ok = ok && site < len(s.sites) && i < cfg.n; ok {
		item = genTestItem(cfg.seed, site, i)
		ok = !item.Vanished && j < len(item.Attachments)
	}
	if !ok {
		writeAPIError(w, http.StatusNotFound, "File not found")
		return
	}
	size := item.Attachments[j].Size
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, testContent(cfg.seed, site, i, j, size))
}
