package umpay

import (
	"fmt"
	"maps"

	"github.com/paysim/paysim/sim"
)

var queryOrderRules = []rule{
	{name: "orderNo", required: true, max: 64},
	{name: "transactionId", max: 32},
}

// queryOrder is the seed page: the order sync that settles a 01000000. respCode 00 says
// the query was processed; origRespCode says where the order stands.
func (p *Provider) queryOrder(req *request) reply {
	if fe := check(req, queryOrderRules); fe != nil {
		return fieldReply(fe)
	}
	merchant, orderNo, txn := req.str("acqMerId"), req.str("orderNo"), req.str("transactionId")
	loc := sim.ByID(orderNo)
	if txn != "" {
		// "建议优先使用": transactionId wins, but it must name the same order as orderNo.
		// The look-up is not counted, so a mismatched query moves no scenario.
		v, err := p.core.QueryPayment(Name, merchant, sim.ByAlias(aliasTxn, txn), false)
		if err != nil {
			return refusal(err, codeNoTrade)
		}
		if v.ID != orderNo {
			return failure(codeNoTrade, msgNoTrade, fmt.Sprintf("transactionId %s belongs to orderNo %s, not to orderNo %s", txn, v.ID, orderNo))
		}
	}
	v, err := p.core.QueryPayment(Name, merchant, loc, true)
	if err != nil {
		return refusal(err, codeNoTrade)
	}
	st := orderStateOf(v)
	out := map[string]string{
		"respCode": codeOK, "respMsg": msgOK,
		"origRespCode": st.code, "origRespDescCode": st.descCode, "origRespDescMsg": st.descMsg,
		"platDate": v.CreatedAt.Format(dateLayout), "transactionId": v.ProviderID, "txnAmt": v.Amount.Fen(),
		"merPriv": v.Fields[fMerPriv],
	}
	if st == statePaid || st == stateRefunding {
		maps.Copy(out, paidFields(v))
		out["payTime"] = v.FinishedAt.Format(payTimeLayout)
	}
	return finish(out, v.EntityView)
}
