package control

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// ServeMetrics serves h, the Prometheus scrape, as GET /__paysim/metrics behind the
// guard: a loopback scraper needs nothing, and with an admin token it sends the token
// like any other caller. Call it before serving.
func (a *API) ServeMetrics(h http.Handler) { a.metrics = h }

func (a *API) mountMetrics(g *echo.Group) { g.GET("/metrics", a.scrape) }

func (a *API) scrape(c echo.Context) error {
	if a.metrics == nil {
		return fail(c, http.StatusNotFound, "this server collects no metrics: build it with paysim.New, which serves them here")
	}
	a.metrics.ServeHTTP(c.Response(), c.Request())
	return nil
}
