package sim

import (
	"fmt"
)

// nearestScan bounds how many entities a miss is compared with: explaining a miss must
// not cost more than the request it explains.
const nearestScan = 20000

// Nearest says what the simulator holds that is closest to an id of provider's merchant
// that matched nothing, for a refusal to explain itself: the same id under another
// merchant or provider, else a similar id of the merchant. It is empty when the id is
// held (the miss had another cause, such as a date) or when nothing is close.
func (s *Simulator) Nearest(provider, merchant, id string) string {
	if id == "" {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type candidate struct {
		what string
		key  Key
	}
	var elsewhere, similar *candidate
	best := 3 // at most two characters may differ
	scanned := 0
	visit := func(what string, e *entity) bool {
		k := e.key
		if k.Provider == provider && k.Merchant == merchant && (k.ID == id || e.hasAlias(id)) {
			return false // held: nothing to explain
		}
		switch {
		case k.ID == id && elsewhere == nil:
			elsewhere = &candidate{what, k}
		case k.Provider == provider && k.Merchant == merchant && len(id) >= 6:
			if d := editDistance(id, k.ID, best); d < best {
				best, similar = d, &candidate{what, k}
			}
		}
		scanned++
		return true
	}
	for _, p := range s.ledger.payments {
		if !visit("payment", &p.entity) {
			return ""
		}
		if scanned > nearestScan {
			break
		}
	}
	for _, r := range s.ledger.refunds {
		if !visit("refund", &r.entity) {
			return ""
		}
		if scanned > 2*nearestScan {
			break
		}
	}
	for _, c := range s.ledger.closes {
		if !visit("close", &c.entity) {
			return ""
		}
		if scanned > 3*nearestScan {
			break
		}
	}
	switch {
	case elsewhere != nil && elsewhere.key.Provider != provider:
		return fmt.Sprintf("%s %q exists on %s (merchant %s), not %s", elsewhere.what, id, elsewhere.key.Provider, elsewhere.key.Merchant, provider)
	case elsewhere != nil:
		return fmt.Sprintf("%s %q exists under merchant %s, not %s", elsewhere.what, id, elsewhere.key.Merchant, merchant)
	case similar != nil:
		return fmt.Sprintf("no %q, but merchant %s has %s %q (%d character(s) differ)", id, merchant, similar.what, similar.key.ID, best)
	}
	return ""
}

func (e *entity) hasAlias(id string) bool {
	for _, v := range e.aliases {
		if v == id {
			return true
		}
	}
	return false
}

// editDistance is the Levenshtein distance of a and b, or limit once it reaches limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
