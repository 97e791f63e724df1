// Package console serves paysim's web console under /__paysim/ui/: a single-page app,
// embedded in the binary, that reads the control plane's JSON and needs no network (no
// CDN, no remote font or script).
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// Dir is where the console lives below the control plane's prefix.
const Dir = "/ui/"

//go:embed ui
var files embed.FS

// Pages are the console's pages. Each is served the app's index.html at Dir+page, so a
// link to a page can be shared and reloaded.
var Pages = []string{"orders", "requests", "notifications", "scenarios"}

// contentTypes are the types of the assets the console ships, set explicitly so they do
// not depend on the host's MIME tables.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
}

// Mount serves the console on g, the control plane's group: whatever middleware protects
// the control plane protects the console too.
func Mount(g *echo.Group) {
	h := echo.WrapHandler(Handler())
	g.GET(strings.TrimSuffix(Dir, "/"), func(c echo.Context) error {
		return c.Redirect(http.StatusFound, c.Request().URL.Path+"/")
	})
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		g.Add(m, Dir, h)
		g.Add(m, Dir+"*", h)
	}
}

// Handler serves the console for a request whose path contains Dir: the app's index.html
// for Dir itself and each page, the embedded asset otherwise, and a plain 404 for a name
// that is neither.
func Handler() http.Handler {
	ui, err := fs.Sub(files, "ui")
	if err != nil {
		panic(err) // the folder is embedded; it cannot be missing
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path
		if i := strings.Index(name, Dir); i >= 0 {
			name = name[i+len(Dir):]
		}
		name = strings.TrimSuffix(name, "/")
		if name == "" || slices.Contains(Pages, name) {
			name = "index.html"
		}
		if name != path.Clean(name) || strings.HasPrefix(name, ".") {
			http.NotFound(w, r)
			return
		}
		body, err := fs.ReadFile(ui, name)
		ct, known := contentTypes[path.Ext(name)]
		if err != nil || !known {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("not part of the paysim console: " + r.URL.Path + "\npages: " + Dir + strings.Join(Pages, ", "+Dir) + "\n"))
			return
		}
		h := w.Header()
		h.Set("Content-Type", ct)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", csp)
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}

// csp keeps the console to its own origin: no remote script, style, font or image, no
// inline script, no framing by another page.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
