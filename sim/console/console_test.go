package console_test

import (
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/paysim/paysim/paysimtest"
	"github.com/paysim/paysim/sim/console"
)

// noFollow is a client that shows redirects instead of following them.
var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := noFollow.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestServesTheAppOnEveryPage(t *testing.T) {
	ps := paysimtest.New(t)
	_, index := get(t, ps.URL+"/__paysim/ui/")
	if !strings.Contains(index, `<script src="/__paysim/ui/app.js"`) {
		t.Fatalf("GET /__paysim/ui/ is not the console's index.html:\n%s", index)
	}
	for _, page := range append([]string{"", "orders/"}, console.Pages...) {
		resp, body := get(t, ps.URL+"/__paysim/ui/"+page)
		if resp.StatusCode != http.StatusOK || body != index {
			t.Errorf("GET /__paysim/ui/%s: %d, not the index.html", page, resp.StatusCode)
		}
		for k, want := range map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache", "X-Frame-Options": "DENY"} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("GET /__paysim/ui/%s: %s is %q, want %q", page, k, got, want)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET /__paysim/ui/%s: Content-Security-Policy %q does not keep the console to its origin", page, csp)
		}
	}
}

func TestServesAssetsWithTheirTypes(t *testing.T) {
	ps := paysimtest.New(t)
	for name, want := range map[string]string{
		"app.js":      "text/javascript; charset=utf-8",
		"app.css":     "text/css; charset=utf-8",
		"favicon.svg": "image/svg+xml",
		"index.html":  "text/html; charset=utf-8",
	} {
		resp, body := get(t, ps.URL+"/__paysim/ui/"+name)
		if resp.StatusCode != http.StatusOK || body == "" {
			t.Errorf("GET /__paysim/ui/%s: %d", name, resp.StatusCode)
		}
		if got := resp.Header.Get("Content-Type"); got != want {
			t.Errorf("GET /__paysim/ui/%s: Content-Type %q, want %q", name, got, want)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET /__paysim/ui/%s: Cache-Control %q, want no-cache", name, got)
		}
	}
	req, err := http.NewRequest(http.MethodHead, ps.URL+"/__paysim/ui/app.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("HEAD /__paysim/ui/app.js: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestUnknownNamesAreNotFound(t *testing.T) {
	ps := paysimtest.New(t)
	for _, name := range []string{"nope", "orders/extra", "../control.go", "%2e%2e/console.go", "ui/app.js", ".hidden"} {
		resp, body := get(t, ps.URL+"/__paysim/ui/"+name)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /__paysim/ui/%s: %d, want 404\n%s", name, resp.StatusCode, body)
		}
	}
}

func TestRedirects(t *testing.T) {
	ps := paysimtest.New(t)
	for from, to := range map[string]string{"/": "/__paysim/ui/", "/__paysim/ui": "/__paysim/ui/"} {
		resp, _ := get(t, ps.URL+from)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != to {
			t.Errorf("GET %s: %d Location %q, want 302 to %s", from, resp.StatusCode, resp.Header.Get("Location"), to)
		}
	}
	// Only GET: a POST to / is still a path no provider serves.
	resp, err := noFollow.Post(ps.URL+"/", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusFound {
		t.Errorf("POST / was redirected")
	}
	// A provider's paths are not the console's.
	resp, _ = get(t, ps.URL+"/v3/trade/payment/scanpay/query")
	if resp.StatusCode == http.StatusFound {
		t.Errorf("GET of a Huifu path was redirected to the console")
	}
}

// The console works with no network: nothing in it names another origin, and nothing
// renders data as HTML.
func TestAssetsAreSelfContained(t *testing.T) {
	remote := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	err := filepath.WalkDir("ui", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		text := strings.ReplaceAll(string(raw), "http://www.w3.org/2000/svg", "") // the SVG namespace is a name, not a load
		for _, m := range remote.FindAllString(text, -1) {
			t.Errorf("%s names another origin: %s", path, m)
		}
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s uses %s", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
