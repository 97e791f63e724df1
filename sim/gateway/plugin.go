package gateway

import (
	"crypto/rsa"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/rsakey"
)

// Plugin is how a provider is built: one line of paysim's provider registry.
type Plugin struct {
	// Name is the provider's name in scenarios, the control plane and paysim.yaml.
	Name string
	// Build makes the provider over core, with its keys (a tree shaped like keys/) and
	// its section of paysim.yaml.
	Build func(core *sim.Simulator, keys fs.FS, sec Section) (Provider, error)
	// Hosts are the names the provider's real clients send requests to: proxy mode answers
	// for them, and for no other (docs/protocols.md §7).
	Hosts []Host
}

// Host is one name a provider's real clients reach it by.
type Host struct {
	// Name is a DNS name or an IP address, without a port: what the client's URL holds.
	Name string
	// Env is the provider's environment it serves: production, test, and so on.
	Env string
	// Source is where the name comes from (a vendor page, an SDK, a client), for the docs.
	Source string
}

// Section is one provider's part of paysim.yaml, with what it needs to read the files it
// names.
type Section struct {
	// Source is the file's path, for messages; empty when there is no file.
	Source string
	// Dir is the file's folder: relative key files are read from there.
	Dir string
	// decode decodes the section strictly into v; nil when the file has no section.
	decode func(v any) error
	// Settings are provider switches given outside the file (a command-line flag, a Go
	// option), by name. They override the file.
	Settings map[string]string
}

// NewSection builds a section from its decoder (nil: the file has none).
func NewSection(source, dir string, decode func(v any) error, settings map[string]string) Section {
	return Section{Source: source, Dir: dir, decode: decode, Settings: settings}
}

// Decode fills v from the section, refusing unknown keys; it leaves v alone when the file
// has no section for the provider.
func (s Section) Decode(v any) error {
	if s.decode == nil {
		return nil
	}
	return s.decode(v)
}

// ReadFile reads a file the section names, relative to the file's folder, and returns
// the path it read, for messages.
func (s Section) ReadFile(name string) ([]byte, string, error) {
	if name == "" {
		return nil, "", fmt.Errorf("no file named")
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(s.Dir, path)
	}
	data, err := os.ReadFile(path)
	return data, path, err
}

// PublicKey reads a public key or certificate file the section names (PEM or DER) and
// returns it with the path it read.
func (s Section) PublicKey(name string) (*rsa.PublicKey, string, error) {
	if name == "" {
		return nil, "", fmt.Errorf("public key file missing")
	}
	data, path, err := s.ReadFile(name)
	if err != nil {
		return nil, path, err
	}
	key, err := rsakey.ParsePublic(data)
	if err != nil {
		return nil, path, fmt.Errorf("%s: %w", path, err)
	}
	return key, path, nil
}

// Problems collects what is wrong with a section, so that every problem is reported at
// once, each naming its entry.
type Problems []string

// Add records one problem.
func (p *Problems) Add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// Err is nil without problems, else one error listing them under the file's name.
func (p Problems) Err(source string) error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%s:\n  %s", source, strings.Join(p, "\n  "))
}
