package shouqianba

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"github.com/paysim/paysim/sim"
)

// authorization is the parsed header `Authorization: <sn> <md5hex(body + key)>`.
type authorization struct {
	sn        string
	signature string
}

// parseAuthorization splits the header at the first run of whitespace and trims both
// parts (protocols: Shouqianba request signature, tolerances).
func parseAuthorization(h string) (authorization, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return authorization{}, fmt.Errorf("the request has no Authorization header; send `Authorization: <terminal_sn> <md5hex(body + terminal_key)>` (vendor_sn and vendor_key for /terminal/activate)")
	}
	i := strings.IndexFunc(h, unicode.IsSpace)
	if i < 0 {
		return authorization{}, fmt.Errorf("the Authorization header %s has no space; the form is `<sn> <md5hex(body + key)>`", sim.QuoteText(sim.Clip(h, 64)))
	}
	return authorization{sn: h[:i], signature: strings.TrimSpace(h[i:])}, nil
}

// sign is md5hex(body ‖ key), lowercase: what every client computes.
func sign(body []byte, key string) string {
	h := md5.New()
	h.Write(body)
	h.Write([]byte(key))
	return hex.EncodeToString(h.Sum(nil))
}

// verify checks the signature against each key a caller may hold, comparing the hex
// case-insensitively (third-party clients send uppercase). On failure the error shows
// what paysim signed, with the key redacted.
func verify(body []byte, a authorization, role string, keys []string) error {
	for _, k := range keys {
		if strings.EqualFold(sign(body, k), a.signature) {
			return nil
		}
	}
	hint := ""
	if len(a.signature) != 32 || !isHex(a.signature) {
		hint = fmt.Sprintf(" (the signature %s is not 32 hex characters)", sim.QuoteText(sim.Clip(a.signature, 40)))
	}
	tried := "its current key"
	if len(keys) > 1 {
		tried = "its current key and the key it had before the last checkin"
	}
	return fmt.Errorf("signature does not verify%s: paysim computed md5hex(body + %s of %s) with %s over the %d body bytes exactly as received; expected signed text: %s followed by the %s (redacted). Common causes: the body was re-serialised after signing, or the key belongs to another %s or predates the last two checkins",
		hint, role, a.sn, tried, len(body), sim.QuoteText(string(body)), role, strings.TrimSuffix(role, "_key"))
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}
