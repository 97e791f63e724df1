package control

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/journal"
)

// Listing bounds of the request journal.
const (
	defaultRequestLimit = 100
	maxRequestLimit     = 1000
)

func (a *API) mountRequests(g *echo.Group) {
	g.GET("/requests", a.requests)
	g.GET("/requests/wait", a.waitRequest)
	g.POST("/requests/count", a.countRequests)
	g.GET("/faults", a.faults)
	g.POST("/faults", a.armFault)
	g.DELETE("/faults", a.disarmFaults)
}

// requestFilter is the filter of the journal calls, from the query (GET) or a JSON body
// (POST count); the names are the same.
type requestFilter struct {
	Provider string `json:"provider"`
	Merchant string `json:"merchant"`
	Order    string `json:"order"`
	Path     string `json:"path"`
	Outcome  string `json:"outcome"`
	After    int64  `json:"after"`
}

func (a *API) queryFilter(c echo.Context) (journal.Filter, error) {
	in := requestFilter{Provider: c.QueryParam("provider"), Merchant: c.QueryParam("merchant"), Order: c.QueryParam("order"),
		Path: c.QueryParam("path"), Outcome: c.QueryParam("outcome")}
	if s := c.QueryParam("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return journal.Filter{}, fmt.Errorf("after %q must be a journal sequence number (seq of an entry)", s)
		}
		in.After = n
	}
	return a.checkFilter(in)
}

func (a *API) checkFilter(in requestFilter) (journal.Filter, error) {
	if err := a.checkProvider(in.Provider, false); err != nil {
		return journal.Filter{}, err
	}
	if in.Outcome != "" && !slices.Contains(journal.Outcomes, in.Outcome) {
		return journal.Filter{}, fmt.Errorf("outcome %q is not one of %s", in.Outcome, strings.Join(journal.Outcomes, ", "))
	}
	return journal.Filter{Provider: in.Provider, Merchant: in.Merchant, Order: in.Order, Path: in.Path, Outcome: in.Outcome, After: in.After}, nil
}

func (a *API) requests(c echo.Context) error {
	f, err := a.queryFilter(c)
	if err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	limit := defaultRequestLimit
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxRequestLimit {
			return fail(c, http.StatusBadRequest, "limit %q must be a whole number from 1 to %d", s, maxRequestLimit)
		}
		limit = n
	}
	held, size, dropped := a.gw.Journal().Stats()
	return c.JSON(http.StatusOK, map[string]any{"requests": a.gw.Journal().Find(f, limit),
		"held": held, "size": size, "dropped": dropped})
}

// waitRequest answers as soon as a journal entry matches, so CI waits for the fact
// ("the app has sent its refund") instead of sleeping.
func (a *API) waitRequest(c echo.Context) error {
	f, err := a.queryFilter(c)
	if err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	timeout, err := waitTimeout(c.QueryParam("timeout"))
	if err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	extendWrite(c, timeout)
	ctx, cancel := context.WithTimeout(c.Request().Context(), timeout)
	defer cancel()
	e, ok, seen := a.gw.Journal().Wait(ctx, f)
	if !ok {
		return c.JSON(http.StatusRequestTimeout, map[string]any{
			"error": "no request matched within " + timeout.String() + "; seen lists the newest requests of that provider",
			"seen":  seen,
		})
	}
	return c.JSON(http.StatusOK, e)
}

func (a *API) countRequests(c echo.Context) error {
	var in requestFilter
	if err := bind(c, &in); err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	f, err := a.checkFilter(in)
	if err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	_, _, dropped := a.gw.Journal().Stats()
	return c.JSON(http.StatusOK, map[string]any{"count": a.gw.Journal().Count(f), "dropped": dropped})
}

// extendWrite lets a long poll outlive the server's write timeout: it has its own bound.
func extendWrite(c echo.Context, wait time.Duration) {
	_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Now().Add(wait + 10*time.Second))
}

func waitTimeout(s string) (time.Duration, error) {
	if s == "" {
		return 5 * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > maxWait {
		return 0, fmt.Errorf("timeout %q must be a duration between 0 and %s, e.g. 5s", s, maxWait)
	}
	return d, nil
}

func (a *API) faults(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"armed": a.gw.ArmedFaults(), "max_hold": a.gw.FaultMaxHold().String()})
}

func (a *API) armFault(c echo.Context) error {
	var in struct {
		Fault       string  `json:"fault"`
		Provider    string  `json:"provider"`
		Operation   string  `json:"operation"`
		Times       int     `json:"times"`
		TTL         string  `json:"ttl"`
		Probability float64 `json:"probability"`
	}
	if err := bind(c, &in); err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	if in.Fault == "" {
		return fail(c, http.StatusBadRequest, `fault is required, e.g. {"fault": "commit-then-reset", "provider": "huifu", "operation": "refund", "times": 1}`)
	}
	if err := a.checkProvider(in.Provider, false); err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	ttl, err := parseTTL(in.TTL)
	if err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	armed, err := a.gw.ArmFault(gateway.FaultSpec{Fault: in.Fault, Provider: in.Provider, Operation: in.Operation,
		Times: in.Times, TTL: ttl, Probability: in.Probability})
	if err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	return c.JSON(http.StatusCreated, armed)
}

func (a *API) disarmFaults(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"disarmed": a.gw.DisarmFaults()})
}

// Listing bounds of the orders.
const (
	defaultOrderLimit = 100
	maxOrderLimit     = 1000
)

// listOrders pages through the payments, newest first: never the whole ledger in one
// answer, however much paysim holds.
func (a *API) listOrders(c echo.Context, provider, merchant string) error {
	limit := defaultOrderLimit
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxOrderLimit {
			return fail(c, http.StatusBadRequest, "limit %q must be a whole number from 1 to %d", s, maxOrderLimit)
		}
		limit = n
	}
	var cursor uint64
	if s := c.QueryParam("cursor"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 {
			return fail(c, http.StatusBadRequest, "cursor %q is not one this listing gave (next_cursor)", s)
		}
		cursor = n
	}
	orders, next := a.core.List(provider, merchant, cursor, limit)
	held, bound, evicted := a.core.Bounds()
	out := map[string]any{"orders": orders, "held": held, "max_entities": bound, "evicted": evicted}
	if next > 0 {
		out["next_cursor"] = strconv.FormatUint(next, 10)
	}
	return c.JSON(http.StatusOK, out)
}

// payer plays the payer of an order waiting for them: POST /__paysim/orders/pay (the
// payer scans and confirms) and /orders/fail (cancels, or the balance is short).
func (a *API) payer(act sim.PayerAction) echo.HandlerFunc {
	return func(c echo.Context) error {
		var in struct {
			Provider string `json:"provider"`
			Merchant string `json:"merchant"`
			ID       string `json:"id"`
		}
		if err := bind(c, &in); err != nil {
			return fail(c, http.StatusBadRequest, "%v", err)
		}
		if err := a.checkProvider(in.Provider, true); err != nil {
			return fail(c, http.StatusBadRequest, "%v", err)
		}
		if in.ID == "" {
			return fail(c, http.StatusBadRequest, `id is required: the order's id as GET /__paysim/orders takes it, e.g. {"provider": "huifu", "id": "pay1"}`)
		}
		found := a.core.Inspect(in.Provider, in.Merchant, in.ID)
		switch len(found) {
		case 0:
			return fail(c, http.StatusNotFound, "no payment with id %q%s", in.ID, scope(in.Provider, in.Merchant))
		case 1:
		default:
			return fail(c, http.StatusConflict, "id %q matches %d orders; add merchant to choose", in.ID, len(found))
		}
		v, err := a.core.ActAsPayer(in.Provider, found[0].Merchant, found[0].ID, act)
		if err != nil {
			status := http.StatusBadRequest
			if sim.KindOf(err) == sim.ErrInvalidState {
				status = http.StatusConflict
			}
			return fail(c, status, "%v", err)
		}
		return c.JSON(http.StatusOK, a.core.Inspect(in.Provider, v.Merchant, v.ID)[0])
	}
}
