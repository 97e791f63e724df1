package gateway

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/paysim/paysim/sim"
)

// Provider is one impersonated payment provider, as the server sees it.
type Provider interface {
	// Name is the provider's name in scenarios, the control plane and logs ("huifu").
	Name() string
	// Mount builds every handler of the provider on the shared pipeline policy g.
	Mount(g *Gateway) Mounts
	// PrepareSeed fills in what the provider would have minted for a paid order created
	// through its API (provider id, aliases, wire fields), for orders seeded by the
	// control plane. A provider id asked for in the fields that the provider could not
	// have minted is refused, saying why.
	PrepareSeed(req *sim.PaymentRequest) error
}

// Route is one operation with every path it answers on (a provider's real path and the
// aliases its clients use).
type Route struct {
	Paths   []string
	Handler http.Handler
}

// Mounts is everything a provider answers: its routes, and the prefixes under which any
// other path is still answered in the provider's own shape, by Fallback.
type Mounts struct {
	Routes []Route
	// Prefixes end in "/": "/v2/" takes every path below it.
	Prefixes []string
	Fallback http.Handler
}

// Paths lists every exact path, in route order.
func (m Mounts) Paths() []string {
	var out []string
	for _, r := range m.Routes {
		out = append(out, r.Paths...)
	}
	return out
}

// claim is one path or prefix a provider answers on.
type claim struct {
	provider string
	path     string
	prefix   bool
}

func (c claim) String() string {
	if c.prefix {
		return c.path + "*"
	}
	return c.path
}

// overlaps reports whether a request path could reach both claims.
func (c claim) overlaps(o claim) bool {
	switch {
	case c.prefix && o.prefix:
		return strings.HasPrefix(c.path, o.path) || strings.HasPrefix(o.path, c.path)
	case c.prefix:
		return strings.HasPrefix(o.path, c.path)
	case o.prefix:
		return strings.HasPrefix(c.path, o.path)
	}
	return c.path == o.path
}

// CheckOverlaps refuses two providers claiming paths one request could reach: the router
// would silently give it to one of them. Within one provider, its own catch-all under a
// prefix is meant to lie under its paths.
func CheckOverlaps(mounts map[string]Mounts) error {
	names := make([]string, 0, len(mounts))
	for n := range mounts {
		names = append(names, n)
	}
	sort.Strings(names)
	var claims []claim
	for _, n := range names {
		m := mounts[n]
		for _, p := range m.Paths() {
			claims = append(claims, claim{provider: n, path: p})
		}
		for _, p := range m.Prefixes {
			if !strings.HasSuffix(p, "/") {
				return fmt.Errorf("%s: catch-all prefix %q must end in /", n, p)
			}
			claims = append(claims, claim{provider: n, path: p, prefix: true})
		}
	}
	var problems []string
	for i, a := range claims {
		for _, b := range claims[i+1:] {
			if a.provider == b.provider && !a.prefix && !b.prefix && a.path == b.path {
				problems = append(problems, fmt.Sprintf("%s claims %s twice", a.provider, a))
			} else if a.provider != b.provider && a.overlaps(b) {
				problems = append(problems, fmt.Sprintf("%s claims %s, which overlaps %s's %s", b.provider, b, a.provider, a))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("providers claim overlapping paths:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}
