package huifu

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/rsakey"
)

// candidate is one way a real client may have produced the text it signed.
type candidate struct {
	name string
	text []byte
}

// candidates lists the texts a valid request may have been signed over, most likely
// first (protocols: Huifu request verification).
func candidates(req *request) []candidate {
	if req.dataString {
		return []candidate{{"data string as sent", req.dataText}}
	}
	cs := []candidate{
		{"canonical data (sorted, compact, unescaped)", canonical(req.tree, canonicalOptions{})},
		{"raw data bytes as received", req.dataText},
	}
	if hasLineSeparator(req.tree) {
		cs = append(cs, candidate{"canonical data with \\u2028/\\u2029 escaped", canonical(req.tree, canonicalOptions{escapeLineSep: true})})
	}
	if hasNestedObject(req.tree) {
		cs = append(cs,
			candidate{"canonical data with nested objects sorted", canonical(req.tree, canonicalOptions{sortNested: true})},
			candidate{"canonical data with nested objects sorted and \\u2028/\\u2029 escaped", canonical(req.tree, canonicalOptions{sortNested: true, escapeLineSep: true})})
	}
	return cs
}

// verifyRequest checks req's sign with the merchant's public key. On failure the error
// says what was tried and what text paysim expected to be signed.
func verifyRequest(v *rsakey.Verifier, key *rsa.PublicKey, req *request) error {
	if strings.TrimSpace(req.sign) == "" {
		return fmt.Errorf("the envelope has no sign; sign the canonical data text: %s", sim.QuoteText(string(canonicalOf(req))))
	}
	sig, err := rsakey.DecodeBase64(req.sign)
	if err != nil {
		return fmt.Errorf("sign is not base64 (%v); expected RSA-SHA256 over the canonical data text: %s", err, sim.QuoteText(string(canonicalOf(req))))
	}
	cs := candidates(req)
	for _, c := range cs {
		if v.Verify(key, crypto.SHA256, c.text, sig) == nil {
			return nil
		}
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.name
	}
	return fmt.Errorf("sign does not verify with the merchant public key of sys_id over any of: %s; expected signed text: %s",
		strings.Join(names, "; "), sim.QuoteText(string(canonicalOf(req))))
}

func canonicalOf(req *request) []byte {
	if req.dataString {
		return req.dataText
	}
	return canonical(req.tree, canonicalOptions{})
}

// signData signs response data bytes with the platform key, base64 with padding.
func signData(key *rsakey.Signer, data []byte) (string, error) {
	sig, err := key.Sign(crypto.SHA256, data)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

func hasLineSeparator(n *jsonNode) bool {
	switch n.kind {
	case kindString:
		return strings.ContainsAny(n.text, "\u2028\u2029")
	case kindObject, kindArray:
		for i, m := range n.members {
			if hasLineSeparator(m) || (n.kind == kindObject && strings.ContainsAny(n.keys[i], "\u2028\u2029")) {
				return true
			}
		}
	}
	return false
}

func hasNestedObject(n *jsonNode) bool {
	for _, m := range n.members {
		if m.kind == kindObject || (m.kind == kindArray && hasNestedObject(m)) {
			return true
		}
	}
	return false
}
