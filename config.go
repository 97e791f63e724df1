package paysim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/paysim/paysim/sim/gateway"
)

var lineRef = regexp.MustCompile(`line \d+: `)

// maxConfigBytes bounds paysim.yaml: it lists a few merchants and key file names.
const maxConfigBytes = 1 << 20

// config is paysim.yaml split into one section per provider; each provider decodes its
// own section (the schema lives with the provider).
type config struct {
	source   string
	dir      string
	sections map[string]*yaml.Node
}

// parseConfig splits data into sections, refusing a top-level key that names no
// provider.
func parseConfig(source, dir string, data []byte) (*config, error) {
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("%s is %d bytes; a configuration file holds at most %d", source, len(data), maxConfigBytes)
	}
	c := &config{source: source, dir: dir, sections: map[string]*yaml.Node{}}
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", source, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	names := Providers()
	var unknown []string
	for k, v := range top {
		if !slices.Contains(names, k) {
			unknown = append(unknown, fmt.Sprintf("line %d: %q is not a provider (sections: %s)", v.Line, k, strings.Join(names, ", ")))
			continue
		}
		c.sections[k] = &v
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("%s:\n  %s", source, strings.Join(unknown, "\n  "))
	}
	return c, nil
}

// section is provider's part of the file, decoded strictly: an unknown key is a typo
// worth reporting.
func (c *config) section(provider string, settings map[string]string) gateway.Section {
	if c == nil {
		return gateway.NewSection("", ".", nil, settings)
	}
	node, ok := c.sections[provider]
	if !ok {
		return gateway.NewSection(c.source, c.dir, nil, settings)
	}
	decode := func(v any) error {
		raw, err := yaml.Marshal(node)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
			// The lines are those of the section re-encoded, not of the file: say where
			// the section starts instead.
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			msg = strings.ReplaceAll(strings.TrimPrefix(msg, "unmarshal errors:\n  "), "\n  ", "; ")
			msg = lineRef.ReplaceAllString(msg, "")
			return fmt.Errorf("%s: section %s (line %d): %s", c.source, provider, node.Line, msg)
		}
		return nil
	}
	return gateway.NewSection(c.source, c.dir, decode, settings)
}
