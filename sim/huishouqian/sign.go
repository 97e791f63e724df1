package huishouqian

import (
	"crypto"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/rsakey"
)

const signTypeRSA2 = "RSA2"

// pair is one k=v of the string to sign.
type pair struct{ k, v string }

// signedPairs are the six public fields in the gateway's fixed order (not sorted).
func signedPairs(req *request) []pair {
	return []pair{{"method", req.method}, {"version", req.version}, {"format", req.format},
		{"merchantNo", req.merchantNo}, {"signType", req.signType}, {"signContent", req.signContent}}
}

// signingText joins pairs as k=v&… and appends &key=<secret>, with raw (not URL-encoded)
// values. With skipEmpty, pairs with empty values are left out, as the C# client does.
func signingText(pairs []pair, secret string, skipEmpty bool) []byte {
	var b strings.Builder
	for _, p := range pairs {
		if skipEmpty && p.v == "" {
			continue
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
		b.WriteByte('&')
	}
	b.WriteString("key=")
	b.WriteString(secret)
	return []byte(b.String())
}

// candidate is one way a real client may have produced the text it signed.
type candidate struct {
	name string
	text []byte
}

// candidates lists the texts a valid request may have been signed over, most likely first
// (protocols: Huishouqian request verification). signContent is always the form value as
// received: PHP clients sign json_encode output with \uXXXX and \/ escapes, so any
// re-serialisation would break them.
func candidates(req *request, secret string) []candidate {
	pairs := signedPairs(req)
	cs := []candidate{{"all six pairs", signingText(pairs, secret, false)}}
	if hasEmpty(pairs) {
		cs = append(cs, candidate{"pairs with empty values omitted", signingText(pairs, secret, true)})
	}
	if strings.Contains(req.signContent, "&") {
		encoded := append([]pair(nil), pairs...)
		encoded[5].v = encodeURIComponent(req.signContent)
		cs = append(cs, candidate{"signContent percent-encoded", signingText(encoded, secret, false)})
		if hasEmpty(pairs) {
			cs = append(cs, candidate{"signContent percent-encoded, empty values omitted", signingText(encoded, secret, true)})
		}
	}
	return cs
}

func hasEmpty(pairs []pair) bool {
	for _, p := range pairs {
		if p.v == "" {
			return true
		}
	}
	return false
}

// verifyRequest checks req's sign with the merchant's certificate. On failure the error
// says what was tried and the text paysim expected to be signed, secret redacted.
func verifyRequest(v *rsakey.Verifier, m *Merchant, req *request) error {
	expected := sim.QuoteText(string(signingText(signedPairs(req), redactedKey, false)))
	sign := strings.TrimSpace(req.sign)
	if sign == "" {
		return fmt.Errorf("the form has no sign; sign the text %s (key = the merchant's shared secret) with SHA256withRSA and send it as hex", expected)
	}
	sig, err := hex.DecodeString(sign)
	if err != nil {
		return fmt.Errorf("sign is not hex (%v); expected SHA256withRSA in hex over %s", err, expected)
	}
	cs := candidates(req, m.SignKey)
	for _, c := range cs {
		if v.Verify(m.PublicKey, crypto.SHA256, c.text, sig) == nil {
			return nil
		}
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.name
	}
	return fmt.Errorf("sign does not verify with the merchant certificate over any of: %s; expected signed text: %s",
		strings.Join(names, "; "), expected)
}

// redactedKey stands for the shared secret in diagnostics.
const redactedKey = "<sign key redacted>"

// signHex signs text with the platform key: SHA256withRSA, lowercase hex.
func signHex(key *rsakey.Signer, text []byte) (string, error) {
	sig, err := key.Sign(crypto.SHA256, text)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sig), nil
}

// encodeURIComponent percent-encodes like JavaScript's encodeURIComponent, which is what
// the Node client applies to values containing & before signing.
func encodeURIComponent(s string) string {
	const unreserved = "-_.!~*'()"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || strings.IndexByte(unreserved, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
