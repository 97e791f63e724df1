package shouqianba

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/paysim/paysim/sim"
)

const (
	opCancel = "cancel" // automatic reversal 冲正: an order being paid, or a paid one
	opRevoke = "revoke" // manual reversal 撤单: a paid order, the same day, with no refund
)

func (p *Provider) cancel(req *request) reply { return p.reverse(req, opCancel) }

func (p *Provider) revoke(req *request) reply { return p.reverse(req, opRevoke) }

// reverse cancels or revokes an order: cancel stops an order being paid or takes back a
// paid one, revoke only takes back a paid one. Both are synchronous unless a scenario for
// closes says otherwise (Shouqianba has no close default).
func (p *Provider) reverse(req *request, op string) reply {
	if ps := append(check(req, closeRules), locatorProblem(req)...); len(ps) > 0 {
		return invalidParams(ps)
	}
	ctx := refusalContext{op: sim.OpClose}
	merchant := req.who.terminal.MerchantSN
	order, err := p.locate(merchant, req, false)
	if err != nil {
		return refusal(err, ctx)
	}
	now := p.core.Now()
	switch {
	case order.Status == sim.StatusClosed:
		return bizFailure(codeCancelNoop, fmt.Sprintf("order %s is already cancelled (%s)", order.ProviderID, closureText(order.Closure)))
	case op == opRevoke && order.Status != sim.StatusSuccess:
		return bizFailure(codeCancelInvalidState, fmt.Sprintf("revoke takes back a paid order; order %s is %s (use /upay/v2/cancel for an order still being paid)", order.ProviderID, order.Status))
	case op == opRevoke && !sameDay(order.FinishedAt, now):
		return bizFailure(codeCancelInvalidState, fmt.Sprintf("revoke only works on the day of payment; order %s was paid %s (use /upay/v2/refund)", order.ProviderID, order.FinishedAt.Format("2006-01-02")))
	}
	v, err := p.close(merchant, req.who, order, op, req.scenario)
	if err != nil {
		if e := (*sim.Error)(nil); errors.As(err, &e) && e.Reason == sim.ReasonRefunded {
			e.Detail += "; an order with refunds can only be refunded further"
		}
		return refusal(err, ctx)
	}
	if !v.Status.Final() {
		p.inflight.closeStarted(order.Key)
	}
	rep := outcome(closeResult(v), closeFields(v)).about(v.EntityView)
	rep.scenario = v.Scenario
	if v.Status == sim.StatusFailed {
		rep = rep.failedBy(v.EntityView, "the "+op+" of order "+order.ProviderID)
	}
	return rep
}

// close books the cancel or revoke. An order not yet paid is closed; a paid one is
// reversed, so that the order remembers whether the payer's money ever arrived. An order
// paid between the lookup and the close is reversed instead.
func (p *Provider) close(merchant string, who caller, order sim.PaymentView, op, header string) (sim.CloseView, error) {
	reverse := order.Status == sim.StatusSuccess
	for {
		key := sim.Key{Provider: Name, Merchant: merchant, ID: fmt.Sprintf("%s/%s/%d", order.ProviderID, op, p.core.NextSerial())}
		v, err := p.core.CreateClose(sim.CloseRequest{
			Key: key, Payment: sim.ByAlias(aliasSN, order.ProviderID), Scenario: header, Reverse: reverse,
			Fields: map[string]string{fTerminalSN: who.sn, fCloseOp: op, fAbort: strconv.FormatBool(!reverse)},
		})
		if e := (*sim.Error)(nil); !reverse && errors.As(err, &e) && e.Reason == sim.ReasonPaymentFinal {
			if now, qerr := p.core.QueryPayment(Name, merchant, sim.ByAlias(aliasSN, order.ProviderID), false); qerr == nil && now.Status == sim.StatusSuccess {
				reverse = true
				continue
			}
		}
		return v, err
	}
}

func closureText(c sim.Closure) string {
	switch c {
	case sim.ClosureExpired:
		return "it timed out unpaid and the gateway cancelled it"
	case sim.ClosureReversed:
		return "it was paid and then reversed"
	}
	return "it was cancelled before it was paid"
}

func sameDay(a, b time.Time) bool {
	a, b = a.In(sim.Beijing), b.In(sim.Beijing)
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}
