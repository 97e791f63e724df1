package shouqianba

import "github.com/paysim/paysim/sim"

// query is the one status query for everything: the order, one refund of it
// (refund_request_no), or the refund or cancel still in flight on it. Queries are never
// checked for duplicates.
func (p *Provider) query(req *request) reply {
	if ps := append(check(req, queryRules), locatorProblem(req)...); len(ps) > 0 {
		return invalidParams(ps)
	}
	merchant := req.who.terminal.MerchantSN
	if no := req.str("refund_request_no"); no != "" {
		return p.queryRefund(merchant, req, no)
	}
	v, err := p.locate(merchant, req, true)
	if err != nil {
		return refusal(err, refusalContext{op: sim.OpPayment})
	}
	if p.inflight.closing(v.Key) {
		c, err := p.core.QueryClose(Name, merchant, sim.ByAlias(aliasSN, v.ProviderID))
		if err == nil {
			if c.Status.Final() {
				p.inflight.closeDecided(v.Key)
			}
			return outcome(bizSuccess, closeFields(c)).about(c.EntityView)
		}
	}
	// A paid order's last operation is its latest refund, if it has one: closes come
	// before refunds or not at all.
	if alias, ok := p.inflight.latestRefund(v.Key); ok && v.Status == sim.StatusSuccess {
		if r, err := p.core.QueryRefund(Name, merchant, sim.ByAlias(aliasRefund, alias)); err == nil {
			return outcome(bizSuccess, refundFields(r)).about(r.EntityView)
		}
	}
	rep := outcome(bizSuccess, orderFields(v))
	if v.Closure == sim.ClosureExpired {
		rep = rep.withError(codeTradeTimeout)
	}
	return rep.about(v.EntityView)
}

// queryRefund reports the latest refund made under refund_request_no on the order.
func (p *Provider) queryRefund(merchant string, req *request, no string) reply {
	v, err := p.locate(merchant, req, false)
	if err != nil {
		return refusal(err, refusalContext{op: sim.OpRefund})
	}
	alias := refundAlias(v.ProviderID, no)
	r, err := p.core.QueryRefund(Name, merchant, sim.ByAlias(aliasRefund, alias))
	if err != nil {
		return refusal(sim.Errorf(sim.ErrNotFound, "order %s (client_sn %s) has no refund with refund_request_no %q", v.ProviderID, v.ID, no),
			refusalContext{op: sim.OpRefund})
	}
	// A query that finds a failed refund succeeds: status FAIL_CANCELED says how the
	// refund ended, and the answer refuses nothing, so it carries no diagnostic.
	return outcome(bizSuccess, refundFields(r)).about(r.EntityView)
}
