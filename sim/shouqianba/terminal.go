package shouqianba

// activate issues a new terminal under the test merchant. Any non-empty activation code
// is accepted (SQ-A4): paysim has no code list.
func (p *Provider) activate(req *request) reply {
	if ps := append(check(req, activateRules), activationProblems(req)...); len(ps) > 0 {
		return invalidParams(ps)
	}
	for range 100 {
		t := testTerminal()
		t.SN, t.Key = p.terminalSN(), p.terminalKey()
		t.DeviceID, t.ClientSN, t.Name = req.str("device_id"), req.str("client_sn"), req.str("name")
		if p.terminals.add(t) {
			return terminalAnswer(t)
		}
	}
	return gatewayError(errSystem, msgSystem, "could not mint a terminal_sn that is not taken")
}

// checkin rotates the terminal's key; the key it replaces stays valid until the next
// checkin (SQ-A4).
func (p *Provider) checkin(req *request) reply {
	if ps := check(req, checkinRules); len(ps) > 0 {
		return invalidParams(ps)
	}
	t, ok := p.terminals.rotate(req.who.sn, p.terminalKey(), req.str("device_id"))
	if !ok {
		return gatewayError(errInvalidTerminal, msgInvalidTerminal, "terminal "+req.who.sn+" is not registered, so it has no key to rotate (it was served unverified because the verify mode is not strict)")
	}
	return terminalAnswer(t)
}

func terminalAnswer(t Terminal) reply {
	return reply{resultCode: resultOK, biz: &biz{terminal: map[string]string{
		"terminal_sn": t.SN, "terminal_key": t.Key,
		"merchant_sn": t.MerchantSN, "merchant_name": t.MerchantName,
		"store_sn": t.StoreSN, "store_name": t.StoreName,
	}}}
}

// uploadLog takes the terminal's log (the raw body, compressed by the terminal) and
// answers the vendor's success. paysim neither opens nor keeps it: the log is the
// terminal's diagnostics for the vendor's support, and nothing else changes.
func (p *Provider) uploadLog(*request) reply {
	return reply{resultCode: resultOK, errorCode: "SUCCESS", errorMessage: "ok"}
}
