// Package control serves paysim's control plane under /__paysim/: health, reset, the
// virtual clock, scenarios and arming, and inspecting or seeding orders. It is JSON in
// and out, and every error says what was wrong.
package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/console"
	"github.com/paysim/paysim/sim/gateway"
)

// Prefix is where the control plane lives; no provider path starts with "__".
const Prefix = "/__paysim"

// API is the control plane of one simulator.
type API struct {
	core      *sim.Simulator
	gw        *gateway.Gateway
	providers map[string]gateway.Provider
	version   string
	metrics   http.Handler // GET /metrics; nil when the server collects none
}

// Mount adds the control plane of the simulator behind gw to e, driven only by those
// guard lets through.
func Mount(e *echo.Echo, gw *gateway.Gateway, providers []gateway.Provider, version string, guard Guard) *API {
	a := &API{core: gw.Core(), gw: gw, providers: map[string]gateway.Provider{}, version: version}
	for _, p := range providers {
		a.providers[p.Name()] = p
	}
	g := e.Group(Prefix, guard.middleware)
	g.GET("/health", a.health)
	g.POST("/reset", a.reset)
	g.GET("/clock", a.getClock)
	g.POST("/clock", a.setClock)
	g.GET("/scenarios", a.scenarios)
	g.POST("/scenarios/arm", a.arm)
	g.DELETE("/scenarios/arm", a.disarm)
	g.POST("/scenarios/reload", a.reload)
	g.GET("/orders", a.orders)
	g.POST("/orders", a.seed)
	g.POST("/orders/pay", a.payer(sim.PayerPays))
	g.POST("/orders/fail", a.payer(sim.PayerFails))
	a.mountNotifications(g)
	a.mountRequests(g)
	a.mountMetrics(g)
	console.Mount(g)
	g.Any("/*", a.unknown)
	return a
}

type apiError struct {
	Error    string   `json:"error"`
	Problems []string `json:"problems,omitempty"`
}

func fail(c echo.Context, status int, format string, args ...any) error {
	return c.JSON(status, apiError{Error: fmt.Sprintf(format, args...)})
}

// bind decodes a JSON body strictly: an unknown field is a typo worth reporting. An
// empty body decodes to the zero value.
func bind(c echo.Context, dst any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading the body: %w", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("the body is not the JSON this call takes: %w", err)
	}
	if err := dec.Decode(&struct{}{}); err != io.EOF {
		return fmt.Errorf("the body is not the JSON this call takes: it has more after its JSON object")
	}
	return nil
}

func (a *API) providerNames() []string {
	names := make([]string, 0, len(a.providers))
	for n := range a.providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (a *API) checkProvider(name string, required bool) error {
	if name == "" {
		if required {
			return fmt.Errorf("provider is required (one of %s)", strings.Join(a.providerNames(), ", "))
		}
		return nil
	}
	if _, ok := a.providers[name]; !ok {
		return fmt.Errorf("unknown provider %q (serving %s)", name, strings.Join(a.providerNames(), ", "))
	}
	return nil
}

func (a *API) health(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{
		"status":    "ok",
		"version":   a.version,
		"clock":     map[string]any{"mode": a.core.Clock().Mode(), "now": a.core.Now().Format(time.RFC3339)},
		"seed":      a.core.Seed(),
		"verify":    a.gw.Verify(),
		"providers": a.providerNames(),
		"scenarios": len(a.core.Scenarios().Scenarios()),
	})
}

func (a *API) reset(c echo.Context) error {
	var in struct {
		Provider string `json:"provider"`
	}
	if err := bind(c, &in); err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	if err := a.checkProvider(in.Provider, false); err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	n := a.core.Reset(in.Provider)
	return c.JSON(http.StatusOK, map[string]any{"reset": true, "provider": in.Provider, "payments_forgotten": n})
}

func (a *API) clockJSON(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"mode": a.core.Clock().Mode(), "now": a.core.Now().Format(time.RFC3339Nano)})
}

func (a *API) getClock(c echo.Context) error { return a.clockJSON(c) }

func (a *API) setClock(c echo.Context) error {
	if err := a.core.ClockMovable(); err != nil {
		return fail(c, http.StatusConflict, "%v", err)
	}
	var in struct {
		Advance string `json:"advance"`
		Set     string `json:"set"`
	}
	if err := bind(c, &in); err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	switch {
	case in.Advance != "" && in.Set != "":
		return fail(c, http.StatusBadRequest, "give either advance or set, not both")
	case in.Advance != "":
		d, err := time.ParseDuration(in.Advance)
		if err != nil {
			return fail(c, http.StatusBadRequest, "advance %q is not a duration such as 30s or 5m", in.Advance)
		}
		if _, err := a.core.AdvanceClock(d); err != nil {
			return fail(c, http.StatusBadRequest, "%v", err)
		}
	case in.Set != "":
		t, err := time.Parse(time.RFC3339, in.Set)
		if err != nil {
			return fail(c, http.StatusBadRequest, "set %q is not an RFC 3339 time such as 2026-11-22T10:00:00+08:00", in.Set)
		}
		if _, err := a.core.SetClock(t); err != nil {
			return fail(c, http.StatusBadRequest, "%v", err)
		}
	default:
		return fail(c, http.StatusBadRequest, `say how to move the clock: {"advance": "30s"} or {"set": "2026-11-22T10:00:00+08:00"}`)
	}
	return a.clockJSON(c)
}

// scenarioJSON is a scenario as the control plane shows it.
type scenarioJSON struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Operation   sim.Operation `json:"operation"`
	Providers   []string      `json:"providers,omitempty"`
	Default     bool          `json:"default,omitempty"`
	When        string        `json:"when,omitempty"`
	States      []stateJSON   `json:"states,omitempty"`
	Reject      string        `json:"reject,omitempty"`
	Source      string        `json:"source"`
}

type stateJSON struct {
	Name   string     `json:"name"`
	Status sim.Status `json:"status"`
	Until  string     `json:"until,omitempty"`
	Next   string     `json:"next,omitempty"`
}

func describe(sc *sim.Scenario) scenarioJSON {
	out := scenarioJSON{Name: sc.Name, Description: sc.Description, Operation: sc.Operation, Providers: sc.Providers,
		Default: sc.Default, When: sc.When.String(), Source: fmt.Sprintf("%s:%d", sc.Source, sc.Line)}
	if sc.Reject != nil {
		out.Reject = string(sc.Reject.Error)
	}
	for _, st := range sc.States {
		var until []string
		if st.Until.Queries > 0 {
			until = append(until, fmt.Sprintf("%d queries", st.Until.Queries))
		}
		if st.Until.Elapsed > 0 {
			until = append(until, st.Until.Elapsed.String())
		}
		out.States = append(out.States, stateJSON{Name: st.Name, Status: st.Status, Until: strings.Join(until, " or "), Next: st.Next})
	}
	return out
}

func (a *API) scenarios(c echo.Context) error {
	list := []scenarioJSON{}
	for _, sc := range a.core.Scenarios().Scenarios() {
		list = append(list, describe(sc))
	}
	return c.JSON(http.StatusOK, map[string]any{"scenarios": list, "armed": a.core.ArmedScenarios(), "reloadable": a.core.CanReloadScenarios()})
}

func (a *API) arm(c echo.Context) error {
	var in struct {
		Scenario  string `json:"scenario"`
		Provider  string `json:"provider"`
		Operation string `json:"operation"`
		Times     *int   `json:"times"`
		TTL       string `json:"ttl"`
	}
	if err := bind(c, &in); err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	if in.Scenario == "" {
		return fail(c, http.StatusBadRequest, `scenario is required, e.g. {"scenario": "pay-unknown-result", "provider": "huifu", "times": 1}`)
	}
	if err := a.checkProvider(in.Provider, false); err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	if sc, ok := a.core.Scenarios().Lookup(in.Scenario); ok && in.Operation != "" && string(sc.Operation) != in.Operation {
		return fail(c, http.StatusBadRequest, "scenario %q drives %s operations, not %s", in.Scenario, sc.Operation, in.Operation)
	}
	times := 1
	if in.Times != nil {
		times = *in.Times
	}
	ttl, err := parseTTL(in.TTL)
	if err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	armed, err := a.core.Arm(in.Scenario, in.Provider, times, ttl)
	if err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	return c.JSON(http.StatusCreated, armed)
}

// parseTTL reads an arming's ttl ("" is none).
func parseTTL(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("ttl %q is not a duration such as 10m", s)
	}
	return d, nil
}

func (a *API) disarm(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"disarmed": a.core.Disarm()})
}

func (a *API) reload(c echo.Context) error {
	set, err := a.core.ReloadScenarios()
	if err != nil {
		var le *sim.LoadError
		if errors.As(err, &le) {
			out := apiError{Error: "the scenario folder has problems; the scenarios in force are unchanged"}
			for _, p := range le.Problems {
				out.Problems = append(out.Problems, p.String())
			}
			return c.JSON(http.StatusUnprocessableEntity, out)
		}
		return fail(c, http.StatusConflict, "%v", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"reloaded": len(set.Scenarios()), "names": set.Names()})
}

func (a *API) orders(c echo.Context) error {
	provider, merchant, id := c.QueryParam("provider"), c.QueryParam("merchant"), c.QueryParam("id")
	if err := a.checkProvider(provider, false); err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	if id == "" {
		return a.listOrders(c, provider, merchant)
	}
	reports := a.core.Inspect(provider, merchant, id)
	switch len(reports) {
	case 0:
		return fail(c, http.StatusNotFound, "no payment, refund or close with id %q%s", id, scope(provider, merchant))
	case 1:
		return c.JSON(http.StatusOK, reports[0])
	}
	return c.JSON(http.StatusConflict, map[string]any{"error": fmt.Sprintf("id %q matches %d orders; add provider= and merchant= to choose", id, len(reports)), "orders": reports})
}

func scope(provider, merchant string) string {
	var parts []string
	if provider != "" {
		parts = append(parts, "provider "+provider)
	}
	if merchant != "" {
		parts = append(parts, "merchant "+merchant)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func (a *API) seed(c echo.Context) error {
	var in struct {
		Provider string            `json:"provider"`
		Merchant string            `json:"merchant"`
		ID       string            `json:"id"`
		Amount   string            `json:"amount"`
		Fields   map[string]string `json:"fields"`
	}
	if err := bind(c, &in); err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	if err := a.checkProvider(in.Provider, true); err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	if in.Merchant == "" || in.ID == "" || in.Amount == "" {
		return fail(c, http.StatusBadRequest, `merchant, id and amount are required, e.g. {"provider": "huifu", "merchant": "6666000100000002", "id": "pay202611220001", "amount": "1.00"}`)
	}
	amount, err := sim.ParseYuan(in.Amount)
	if err != nil {
		return fail(c, http.StatusBadRequest, "amount: %v (yuan, e.g. \"1.00\")", err)
	}
	req := sim.PaymentRequest{Key: sim.Key{Provider: in.Provider, Merchant: in.Merchant, ID: in.ID}, Amount: amount, Fields: in.Fields}
	if err := a.providers[in.Provider].PrepareSeed(&req); err != nil {
		return fail(c, http.StatusBadRequest, "%v", err)
	}
	if _, err := a.core.SeedPayment(req); err != nil {
		status := http.StatusBadRequest
		if sim.KindOf(err) == sim.ErrDuplicateRequest {
			status = http.StatusConflict
		}
		return fail(c, status, "%v", err)
	}
	reports := a.core.Inspect(in.Provider, in.Merchant, in.ID)
	return c.JSON(http.StatusCreated, reports[0])
}

func (a *API) unknown(c echo.Context) error {
	return fail(c, http.StatusNotFound, "%s %s is not a control-plane call; see GET %s/health, POST %s/reset, GET|POST %s/clock, GET %s/scenarios, POST|DELETE %s/scenarios/arm, POST %s/scenarios/reload, GET|POST %s/orders, GET %s/notifications, GET %s/notifications/wait, POST %s/notifications/{id}/redeliver, GET %s/requests, GET %s/requests/wait, POST %s/requests/count, GET|POST|DELETE %s/faults",
		c.Request().Method, c.Request().URL.Path, Prefix, Prefix, Prefix, Prefix, Prefix, Prefix, Prefix, Prefix, Prefix, Prefix, Prefix, Prefix, Prefix, Prefix)
}
