package paysim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// StateFormat names a paysim state file, and StateVersion is the version of the format
// this paysim writes and reads. A file of a newer version is refused, never guessed at.
const (
	StateFormat  = "paysim-state"
	StateVersion = 1
)

// DefaultStateInterval is how often a changed state is written.
const DefaultStateInterval = 2 * time.Second

// maxStateBytes bounds what a state file may hold: 200,000 entities, the default bound,
// take about 270 MB (BENCHMARKS.md).
const maxStateBytes = 4 << 30

// WithStateFile keeps everything paysim holds in the file at path: it is restored when the
// server is built, written when it changed (every WithStateInterval) and when the server
// is closed. The file is written atomically (a temporary file in the same folder, synced,
// renamed over it), with mode 0600: it holds terminal keys. A file that does not exist is
// created; one that cannot be restored makes New fail with the reason.
func WithStateFile(path string) Option { return func(o *options) { o.statePath = path } }

// WithStateInterval sets how often a changed state is written (DefaultStateInterval when
// d <= 0).
func WithStateInterval(d time.Duration) Option { return func(o *options) { o.stateInterval = d } }

// StateDocument is a state file: a JSON object whose first members say what it is, the
// core's part last, since it is the large one.
type StateDocument struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	// SavedAt is the wall-clock time of the write (the simulator's clock is in Core).
	SavedAt time.Time `json:"saved_at"`
	// Paysim is the version of the paysim that wrote the file.
	Paysim    string                   `json:"paysim_version"`
	Gateway   gateway.Saved            `json:"gateway"`
	Providers map[string]gateway.Saved `json:"providers,omitempty"`
	Core      *sim.CoreState           `json:"core"`
}

// stateKeeper writes the state file.
type stateKeeper struct {
	path     string
	interval time.Duration
	version  string
	srv      *Server
	stateful map[string]gateway.Stateful
	log      *slog.Logger

	mu      sync.Mutex // one write at a time
	written uint64     // Changes() of the last state written
	// unkept counts writes in a row that found answers still being sent; a few more
	// writes catch their bytes.
	unkept  int
	lastErr string
	stop    chan struct{}
	done    chan struct{}
	// closeErr is the last write's failure at Close.
	closeErr error
}

// closeState makes the last write of the state file, if there is one.
func (s *Server) closeState() {
	if s.state != nil {
		s.state.closeErr = s.state.close()
	}
}

func (s *Server) stateError() error {
	if s.state == nil {
		return nil
	}
	return s.state.closeErr
}

// openState restores the state file, if there is one, and starts its writer.
func (s *Server) openState(o *options, providers []gateway.Provider) error {
	if o.statePath == "" {
		return nil
	}
	k := &stateKeeper{path: o.statePath, interval: o.stateInterval, version: o.version, srv: s, stateful: map[string]gateway.Stateful{},
		log: o.logger, stop: make(chan struct{}), done: make(chan struct{})}
	if k.interval <= 0 {
		k.interval = DefaultStateInterval
	}
	for i, p := range providers {
		if st, ok := p.(gateway.Stateful); ok {
			k.stateful[s.providers[i]] = st
		}
	}
	doc, err := ReadStateFile(k.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A first start: the file is written now, so that a folder paysim cannot write
		// to stops it at once rather than at the first change.
		if err := k.write(); err != nil {
			return fmt.Errorf("state file %s cannot be written: %w", k.path, err)
		}
		k.log.Info("state file created", "path", k.path)
	case err != nil:
		return err
	default:
		if err := k.restore(doc); err != nil {
			return fmt.Errorf("state file %s does not fit this paysim: %w; start paysim as it was started when the file was written, or move the file away to start empty", k.path, err)
		}
		k.written = s.core.Changes()
		held, _, _ := s.core.Bounds()
		k.log.Info("state restored", "path", k.path, "saved_at", doc.SavedAt, "entities", held,
			"notifications", len(doc.Core.Outbox.Notifications), "clock", doc.Core.Clock.Now)
	}
	s.state = k
	go k.loop()
	return nil
}

// restore hands each part its state: the gateway and the providers first, the core
// last, since restoring the core schedules work (due notifications are sent at once).
func (k *stateKeeper) restore(doc *StateDocument) error {
	for name := range doc.Providers {
		if _, ok := k.stateful[name]; !ok {
			return fmt.Errorf("it holds state of %q, which is not a provider this paysim serves with state of its own", name)
		}
	}
	if err := k.srv.gw.RestoreState(doc.Gateway.Data); err != nil {
		return err
	}
	for name, st := range k.stateful {
		if saved, ok := doc.Providers[name]; ok {
			if err := st.RestoreState(saved.Data); err != nil {
				return err
			}
		}
	}
	return k.srv.core.Restore(doc.Core)
}

func (k *stateKeeper) loop() {
	defer close(k.done)
	t := time.NewTicker(k.interval)
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
			k.writeIfChanged()
		}
	}
}

// writeIfChanged writes the state if anything changed since the last write; a failure
// is logged (once per cause) and tried again at the next tick.
func (k *stateKeeper) writeIfChanged() {
	k.mu.Lock()
	changed := k.srv.core.Changes() != k.written || k.unkept > 0
	k.mu.Unlock()
	if !changed {
		return
	}
	if err := k.write(); err != nil {
		k.mu.Lock()
		if err.Error() != k.lastErr {
			k.log.Error("state file not written; trying again", "path", k.path, "err", err)
		}
		k.lastErr = err.Error()
		k.mu.Unlock()
	}
}

// close stops the writer and writes the state a last time if it changed.
func (k *stateKeeper) close() error {
	close(k.stop)
	<-k.done
	k.mu.Lock()
	changed := k.srv.core.Changes() != k.written || k.unkept > 0
	k.mu.Unlock()
	if !changed {
		return nil
	}
	if err := k.write(); err != nil {
		k.log.Error("state file not written at shutdown", "path", k.path, "err", err)
		return fmt.Errorf("state file %s not written at shutdown: %w", k.path, err)
	}
	return nil
}

// write takes a copy of every part and writes it atomically: a temporary file in the
// same folder, synced, renamed over the file, and the folder synced, so that a crash
// leaves the old file or the new one, never a mix.
func (k *stateKeeper) write() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	changes := k.srv.core.Changes()
	doc, err := k.collect()
	if err != nil {
		return err
	}
	dir := filepath.Dir(k.path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(k.path)+".tmp-*") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // gone after the rename; removes a failed write
	w := bufio.NewWriterSize(f, 1<<20)
	err = writeStateDocument(w, doc)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, k.path); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	k.written, k.lastErr = changes, ""
	switch {
	case doc.Core.Unkept() == 0:
		k.unkept = 0
	case k.unkept < 3:
		k.unkept++
	default:
		k.unkept = 0 // an answer that is never kept must not keep the writer busy
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// collect copies every part's state.
func (k *stateKeeper) collect() (*StateDocument, error) {
	doc := &StateDocument{Format: StateFormat, Version: StateVersion, SavedAt: time.Now().UTC(), Paysim: k.version}
	var err error
	if doc.Gateway, err = k.srv.gw.SaveState(); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	for name, st := range k.stateful {
		saved, err := st.SaveState()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if doc.Providers == nil {
			doc.Providers = map[string]gateway.Saved{}
		}
		doc.Providers[name] = saved
	}
	// The core last: a change the parts above saw is in it too.
	if doc.Core, err = k.srv.core.Snapshot(); err != nil {
		return nil, err
	}
	return doc, nil
}

// writeStateDocument writes doc with the core streamed last.
func writeStateDocument(w io.Writer, doc *StateDocument) error {
	head := *doc
	head.Core = nil
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	// {..."core":null}: the core replaces the null.
	b = b[:len(b)-len(`null}`)]
	if _, err := w.Write(b); err != nil {
		return err
	}
	if err := doc.Core.WriteJSON(w); err != nil {
		return err
	}
	_, err = io.WriteString(w, "}\n")
	return err
}

// ReadStateFile reads and checks a state file without restoring it. A file that does not
// exist is reported as fs.ErrNotExist; any other failure says what is wrong with the file
// and what to do.
func ReadStateFile(path string) (*StateDocument, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("state file %s does not exist: %w", path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("state file %s cannot be read: %w", path, err)
	}
	defer f.Close()
	doc, err := DecodeStateDocument(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		var future *futureVersionError
		if errors.As(err, &future) {
			return nil, fmt.Errorf("state file %s %v: run a paysim that reads it, or move the file away to start empty", path, err)
		}
		return nil, fmt.Errorf("state file %s %v: move it away (or delete it) to start empty; paysim does not write over it before it starts", path, err)
	}
	return doc, nil
}

type futureVersionError struct{ version int }

func (e *futureVersionError) Error() string {
	return fmt.Sprintf("was written by a newer paysim (state format version %d; this paysim reads version %d)", e.version, StateVersion)
}

// DecodeStateDocument decodes a state file's content strictly: its format and version
// first (a newer version is refused before anything else is read), then every member,
// refusing unknown ones and anything after the document.
func DecodeStateDocument(r io.Reader) (*StateDocument, error) {
	lr := &io.LimitedReader{R: r, N: maxStateBytes + 1}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	explain := func(err error) error {
		var syntax *json.SyntaxError
		switch {
		case lr.N <= 0:
			return fmt.Errorf("is larger than %d bytes, more than any state paysim writes", int64(maxStateBytes))
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			return fmt.Errorf("ends early, after %d bytes: it is truncated", dec.InputOffset())
		case errors.As(err, &syntax):
			return fmt.Errorf("is damaged: not valid JSON at byte %d (%v)", syntax.Offset, err)
		}
		return fmt.Errorf("is damaged at byte %d: %v", dec.InputOffset(), err)
	}
	notOurs := fmt.Errorf("is not a paysim state file: it must start with {\"format\":%q,\"version\":N", StateFormat)
	if tok, err := dec.Token(); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("is empty")
		}
		return nil, explain(err)
	} else if tok != json.Delim('{') {
		return nil, notOurs
	}
	doc := &StateDocument{}
	members := map[string]any{"format": &doc.Format, "version": &doc.Version, "saved_at": &doc.SavedAt,
		"paysim_version": &doc.Paysim, "gateway": &doc.Gateway, "providers": &doc.Providers, "core": &doc.Core}
	// paysim writes format and version first, so the rest is decoded as it is read. A
	// file whose members were reordered (by a tool that sorts keys) keeps what comes
	// before the version aside until the version is known to be one this paysim reads.
	var early []string
	held := map[string]json.RawMessage{}
	versioned := false
	check := func(name string) error {
		switch {
		case name == "format" && doc.Format != StateFormat:
			return notOurs
		case name == "version" && doc.Version > StateVersion:
			return &futureVersionError{doc.Version}
		case name == "version" && doc.Version < 1:
			return fmt.Errorf("is damaged: version %d is not a state format version", doc.Version)
		}
		return nil
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, explain(err)
		}
		name, _ := tok.(string)
		target, ok := members[name]
		switch {
		case !ok && !versioned:
			return nil, notOurs
		case !ok:
			return nil, fmt.Errorf("is damaged: unknown member %q at byte %d", name, dec.InputOffset())
		case !versioned && name != "format" && name != "version":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, explain(err)
			}
			held[name] = raw
			early = append(early, name)
			continue
		}
		if err := dec.Decode(target); err != nil {
			return nil, explain(err)
		}
		if err := check(name); err != nil {
			return nil, err
		}
		versioned = versioned || name == "version"
	}
	if doc.Format != StateFormat || !versioned {
		return nil, notOurs
	}
	for _, name := range early {
		if err := gateway.DecodeState(held[name], members[name]); err != nil {
			return nil, fmt.Errorf("is damaged: member %q: %v", name, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, explain(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("is damaged: there is more after the end of the document")
	}
	if doc.Core == nil {
		return nil, errors.New("is damaged: it holds no core state")
	}
	return doc, nil
}
