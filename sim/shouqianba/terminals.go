package shouqianba

import (
	"maps"
	"sync"
)

// The test identities shipped in keys/ (keys/README.md), and the merchant and store every
// terminal activated under the test vendor belongs to.
const (
	TestTerminalSN  = "100000330000000001"
	TestTerminalKey = "sqb-terminal-key-for-tests"
	TestVendorSN    = "91800000001"
	TestVendorKey   = "sqb-vendor-key-for-tests"

	TestMerchantSN   = "1680000330001"
	TestMerchantName = "paysim测试商户"
	TestStoreSN      = "1580000330001"
	TestStoreName    = "paysim测试门店"
)

// Terminal is a device identity: what /terminal/activate issues and every upay call is
// signed with.
type Terminal struct {
	SN  string
	Key string
	// PreviousKey stays valid until the next checkin (SQ-A4).
	PreviousKey  string
	DeviceID     string
	ClientSN     string
	Name         string
	MerchantSN   string
	MerchantName string
	StoreSN      string
	StoreName    string
}

// keys are the terminal keys a request may be signed with, current first.
func (t Terminal) keys() []string {
	if t.PreviousKey == "" || t.PreviousKey == t.Key {
		return []string{t.Key}
	}
	return []string{t.Key, t.PreviousKey}
}

// Vendor is a developer identity, used only to sign activations.
type Vendor struct {
	SN  string
	Key string
}

// registry is the provider's own state: the terminals and vendors it knows. The test
// terminal and vendor always exist; a reset forgets activated terminals and restores the
// test terminal's original key.
type registry struct {
	mu        sync.Mutex
	terminals map[string]Terminal
	vendors   map[string]Vendor
	// base is what a reset returns to.
	base map[string]Terminal
	// touch records a change, for the state file.
	touch func()
}

func testTerminal() Terminal {
	return Terminal{SN: TestTerminalSN, Key: TestTerminalKey, Name: "paysim test terminal",
		MerchantSN: TestMerchantSN, MerchantName: TestMerchantName, StoreSN: TestStoreSN, StoreName: TestStoreName}
}

func newRegistry() *registry {
	base := map[string]Terminal{TestTerminalSN: testTerminal()}
	return &registry{terminals: maps.Clone(base), base: base,
		vendors: map[string]Vendor{TestVendorSN: {SN: TestVendorSN, Key: TestVendorKey}}}
}

func (r *registry) terminal(sn string) (Terminal, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.terminals[sn]
	return t, ok
}

func (r *registry) vendor(sn string) (Vendor, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.vendors[sn]
	return v, ok
}

// add registers a new terminal; it reports false if the sn is taken.
func (r *registry) add(t Terminal) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, taken := r.terminals[t.SN]; taken {
		return false
	}
	r.terminals[t.SN] = t
	r.changed()
	return true
}

// rotate gives a terminal a new key at checkin; the key it had stays valid as the
// previous one.
func (r *registry) rotate(sn, key, deviceID string) (Terminal, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.terminals[sn]
	if !ok {
		return Terminal{}, false
	}
	t.PreviousKey, t.Key, t.DeviceID = t.Key, key, deviceID
	r.terminals[sn] = t
	r.changed()
	return t, true
}

// put registers or replaces a terminal or vendor; for embedding programs and tests.
func (r *registry) put(t Terminal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.terminals[t.SN] = t
	r.base[t.SN] = t
}

func (r *registry) putVendor(v Vendor) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.vendors[v.SN] = v
}

func (r *registry) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.terminals = maps.Clone(r.base)
}
