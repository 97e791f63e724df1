package control

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysim/paysim/sim"
)

var notifyStates = []string{sim.NotifyPending, sim.NotifyInFlight, sim.NotifyAcked, sim.NotifyFailed, sim.NotifyRefused, sim.NotifyAbandoned}

// maxWait bounds a long poll, so a forgotten CI step cannot hold a connection forever.
const maxWait = 2 * time.Minute

func (a *API) mountNotifications(g *echo.Group) {
	g.GET("/notifications", a.notifications)
	g.GET("/notifications/wait", a.waitNotification)
	g.POST("/notifications/:id/redeliver", a.redeliver)
}

func (a *API) notifyFilter(c echo.Context) (sim.NotifyFilter, error) {
	f := sim.NotifyFilter{Provider: c.QueryParam("provider"), Order: c.QueryParam("order"), State: c.QueryParam("state")}
	if err := a.checkProvider(f.Provider, false); err != nil {
		return f, err
	}
	if f.State != "" && !slices.Contains(notifyStates, f.State) {
		return f, fmt.Errorf("state %q is not one of %s", f.State, strings.Join(notifyStates, ", "))
	}
	return f, nil
}

func (a *API) notifications(c echo.Context) error {
	f, err := a.notifyFilter(c)
	if err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"notifications": a.core.Notifications(f)})
}

// waitNotification answers as soon as a notification matches (e.g. order=X&state=acked),
// so CI waits for the fact instead of sleeping.
func (a *API) waitNotification(c echo.Context) error {
	f, err := a.notifyFilter(c)
	if err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	if f.Order == "" && f.Provider == "" {
		return fail(c, http.StatusBadRequest, "say what to wait for: order= (and usually state=acked), or provider=")
	}
	timeout, err := waitTimeout(c.QueryParam("timeout"))
	if err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	extendWrite(c, timeout)
	ctx, cancel := context.WithTimeout(c.Request().Context(), timeout)
	defer cancel()
	n, seen, ok := a.core.WaitNotification(ctx, f)
	if !ok {
		if seen == nil {
			seen = []sim.Notification{}
		}
		return c.JSON(http.StatusRequestTimeout, map[string]any{
			"error": "no notification matched within " + timeout.String() + describeFilter(f),
			"seen":  seen,
		})
	}
	return c.JSON(http.StatusOK, n)
}

func describeFilter(f sim.NotifyFilter) string {
	var parts []string
	if f.Provider != "" {
		parts = append(parts, "provider "+f.Provider)
	}
	if f.Order != "" {
		parts = append(parts, "order "+f.Order)
	}
	if f.State != "" {
		parts = append(parts, "state "+f.State)
	}
	return " (" + strings.Join(parts, ", ") + "); seen lists the notifications of that order in other states"
}

func (a *API) redeliver(c echo.Context) error {
	n, err := a.core.Redeliver(c.Param("id"))
	if err != nil {
		status := http.StatusConflict
		if strings.HasPrefix(err.Error(), "no notification") {
			status = http.StatusNotFound
		}
		return fail(c, status, "%v", err)
	}
	return c.JSON(http.StatusAccepted, n)
}
