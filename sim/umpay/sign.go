package umpay

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/rsakey"
)

// candidate is one way a real client may have built the text it signed.
type candidate struct {
	name string
	text string
}

// candidates lists the texts a valid request may have been signed over, in the order of
// protocols 5.2: empty values dropped (the documented form), empty strings kept as "k="
// (the official demo's TreeMap.toString()), and nulls written "k=null" (same demo). The
// last one keeps every empty member the body carries (see likely).
func candidates(req *request) []candidate {
	cs := []candidate{{"fields sorted by key as k=v&..., empty values dropped", signedText(req, false, false)}}
	if hasKind(req, func(m member) bool { return m.kind == kindString && m.text == "" }) {
		cs = append(cs, candidate{"empty values kept as k= (official demo)", signedText(req, true, false)})
	}
	if hasKind(req, func(m member) bool { return m.kind == kindNull }) {
		cs = append(cs, candidate{"empty values kept as k= and nulls as k=null", signedText(req, true, true)})
	}
	return cs
}

func hasKind(req *request, pred func(member) bool) bool {
	for _, m := range req.members {
		if pred(m) {
			return true
		}
	}
	return false
}

// signedText joins the members (already sorted by key) as k=v&....
func signedText(req *request, keepEmpty, keepNull bool) string {
	var b strings.Builder
	for _, m := range req.members {
		switch {
		case m.kind == kindNull && !keepNull:
			continue
		case m.kind == kindString && m.text == "" && !keepEmpty:
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(m.key)
		b.WriteByte('=')
		b.WriteString(m.text)
	}
	return b.String()
}

// likely is the candidate closest to how req was built, the one a diagnostic shows. A
// body that carries empty members was most likely signed with them, as the official demo
// does (…&transactionId=); a client following the docs sends no empty members at all.
// That is the last candidate: it keeps every kind of empty member the body carries.
func likely(cs []candidate) (c candidate, note string) {
	c = cs[len(cs)-1]
	if len(cs) > 1 {
		note = ", " + c.name + ", as the body carries empty members"
	}
	return c, note
}

// verifyRequest checks the signature with the service provider's public key. On failure
// the error says what was tried and the text paysim expected to be signed.
func verifyRequest(v *rsakey.Verifier, key *rsa.PublicKey, req *request) error {
	cs := candidates(req)
	shown, note := likely(cs)
	expected := sim.QuoteText(shown.text)
	text := "the text"
	if note != "" {
		text += note + ":"
	}
	if strings.TrimSpace(req.signature) == "" {
		return fmt.Errorf("the body has no signature; sign with SHA1withRSA (merchant key) over %s %s", text, expected)
	}
	sig, err := rsakey.DecodeBase64(req.signature)
	if err != nil {
		return fmt.Errorf("%s is not base64 (%v); expected SHA1withRSA over %s %s", req.sigField, err, text, expected)
	}
	for _, c := range cs {
		if v.Verify(key, crypto.SHA1, []byte(c.text), sig) == nil {
			return nil
		}
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.name
	}
	return fmt.Errorf("%s does not verify (SHA1withRSA) over any of: %s; expected signed text%s: %s",
		req.sigField, strings.Join(names, "; "), note, expected)
}

// responseText is what a response signature covers (protocols 5.3): the values of every
// non-empty field but signature, in key order, joined by "|". keys must be sorted.
func responseText(keys []string, values map[string]string) string {
	var b strings.Builder
	for _, k := range keys {
		v := values[k]
		if v == "" || k == "signature" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString(v)
	}
	return b.String()
}

// signResponse signs text with the platform key: SHA1withRSA, padded standard base64.
func signResponse(key *rsakey.Signer, text string) (string, error) {
	sig, err := key.Sign(crypto.SHA1, []byte(text))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}
