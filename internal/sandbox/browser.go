package sandbox

import "net/http"

// Approve plays the person's browser for a login against the sandbox: it
// opens the consent URL in the background, the sandbox approves by itself,
// and the browser follows the redirect to the client's callback. It has
// the shape of a client's "open the browser" function.
func Approve(consentURL string) error {
	go func() {
		resp, err := http.Get(consentURL) //nolint:gosec // the sandbox's loopback consent URL
		if err == nil {
			_ = resp.Body.Close()
		}
	}()
	return nil
}
