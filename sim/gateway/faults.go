package gateway

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/fault"
)

// FaultHeader asks for a network fault on a request, and names the one an answer got.
const FaultHeader = "X-Paysim-Fault"

// Bounds of arming, so that a typo cannot arm a fault for ever.
const (
	MaxFaultTimes = 100000
	MaxFaultTTL   = 24 * time.Hour
)

// ArmedFault is a fault armed through the control plane for the next matching requests.
type ArmedFault struct {
	ID        int    `json:"id"`
	Fault     string `json:"fault"`
	Provider  string `json:"provider,omitempty"`
	Operation string `json:"operation,omitempty"`
	Remaining int    `json:"remaining"`
	// Probability below 1 applies the fault to that share of matching requests, drawn
	// from a generator seeded like the simulator, so a run replays.
	Probability float64   `json:"probability,omitempty"`
	Expires     time.Time `json:"expires,omitzero"`
	fault       fault.Fault
}

// FaultSpec is what to arm.
type FaultSpec struct {
	Fault       string
	Provider    string
	Operation   string
	Times       int
	TTL         time.Duration
	Probability float64
}

type faults struct {
	core *sim.Simulator
	mu   sync.Mutex
	list []*ArmedFault
	seq  int
	rng  *rand.Rand
	src  *rand.PCG // rng's source, whose position a state file keeps
}

func newFaults(core *sim.Simulator) *faults {
	seed := uint64(core.Seed())
	src := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	return &faults{core: core, rng: rand.New(src), src: src}
}

// ArmFault arms a fault; the control plane has checked the provider's name.
func (g *Gateway) ArmFault(spec FaultSpec) (ArmedFault, error) {
	f, err := fault.Parse(spec.Fault)
	if err != nil {
		return ArmedFault{}, err
	}
	if spec.Operation != "" && !slices.Contains(Operations, spec.Operation) {
		return ArmedFault{}, fmt.Errorf("operation %q is not one of %s", spec.Operation, strings.Join(Operations, ", "))
	}
	if spec.Times == 0 {
		spec.Times = 1
	}
	switch {
	case spec.Times < 1 || spec.Times > MaxFaultTimes:
		return ArmedFault{}, fmt.Errorf("times must be from 1 to %d, got %d", MaxFaultTimes, spec.Times)
	case spec.TTL < 0 || spec.TTL > MaxFaultTTL:
		return ArmedFault{}, fmt.Errorf("ttl must be from 0 (no limit) to %s, got %s", MaxFaultTTL, spec.TTL)
	case spec.Probability < 0 || spec.Probability > 1:
		return ArmedFault{}, fmt.Errorf("probability must be from 0 to 1, got %v (0 and 1 both mean every time)", spec.Probability)
	}
	fs := g.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.seq++
	a := &ArmedFault{ID: fs.seq, Fault: f.String(), Provider: spec.Provider, Operation: spec.Operation,
		Remaining: spec.Times, Probability: spec.Probability, fault: f}
	if spec.TTL > 0 {
		a.Expires = fs.core.Now().Add(spec.TTL)
	}
	fs.list = append(fs.list, a)
	fs.core.Touch()
	return *a, nil
}

// ArmedFaults lists what is armed and neither used up nor expired.
func (g *Gateway) ArmedFaults() []ArmedFault {
	fs := g.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.pruneLocked()
	out := make([]ArmedFault, len(fs.list))
	for i, a := range fs.list {
		out[i] = *a
	}
	return out
}

// DisarmFaults drops every armed fault and returns how many there were.
func (g *Gateway) DisarmFaults() int { return g.faults.disarm() }

func (fs *faults) disarm() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := len(fs.list)
	fs.list = nil
	fs.core.Touch()
	return n
}

func (fs *faults) pruneLocked() {
	now := fs.core.Now()
	fs.list = slices.DeleteFunc(fs.list, func(a *ArmedFault) bool {
		return a.Remaining <= 0 || (!a.Expires.IsZero() && !now.Before(a.Expires))
	})
}

// take returns the first armed fault for this provider and operation, spending one use;
// a fault with a probability is drawn for.
func (fs *faults) take(provider, operation string, signs bool) (*ArmedFault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.pruneLocked()
	for _, a := range fs.list {
		if (a.Provider != "" && a.Provider != provider) || (a.Operation != "" && a.Operation != operation) ||
			(a.fault.Kind == fault.BadSignature && !signs) {
			continue
		}
		fs.core.Touch() // a draw or a use
		if a.Probability > 0 && a.Probability < 1 && fs.rng.Float64() >= a.Probability {
			continue
		}
		a.Remaining--
		used := *a
		return &used, true
	}
	return nil, false
}

// pickFault chooses the fault of this request: the X-Paysim-Fault header, else an armed
// one. A header naming no fault is refused, and false is returned.
func (x *exchange[Q, A]) pickFault() bool {
	_, signs := x.p.proto.(Tamperer)
	if name := x.r.Header.Get(FaultHeader); name != "" {
		f, err := fault.Parse(name)
		switch {
		case err != nil:
			x.refuse(RefuseHeader, "%s: %v", FaultHeader, err)
			return false
		case f.Kind == fault.BadSignature && !signs:
			x.refuse(RefuseHeader, "%s: %s answers are not signed, so there is no signature to break", FaultHeader, x.p.proto.Title())
			return false
		}
		x.fault, x.e.FaultFrom = &f, FaultHeader+" header"
		return true
	}
	if a, ok := x.p.g.faults.take(x.e.Provider, x.e.Operation, signs); ok {
		f := a.fault
		x.fault, x.e.FaultFrom = &f, fmt.Sprintf("armed through the control plane (fault #%d)", a.ID)
	}
	return true
}

// withhold applies a fault that serves nothing: the request never reached the gateway's
// business, as if a proxy or the network had eaten it.
func (x *exchange[Q, A]) withhold() { x.deliver(0, nil) }

// deliver sends the answer, through the fault if there is one. A fault that serves
// (delay, truncate, bad-signature, commit-then-*) comes after the request was served:
// the entity is booked and its answer stored, whatever the client gets. The others also
// come after serving when a scenario asks for them on an answer.
func (x *exchange[Q, A]) deliver(status int, body []byte) {
	if x.fault == nil {
		x.write(status, body)
		return
	}
	f := *x.fault
	x.e.Fault = f.String()
	x.logFault()
	switch f.Kind {
	case fault.Delay:
		x.wait(f.Delay)
		x.w.Header().Set(FaultHeader, f.String())
		x.write(status, body)
	case fault.BadSignature:
		if t, ok := x.p.proto.(Tamperer); ok {
			body = t.Tamper(body)
		}
		x.w.Header().Set(FaultHeader, f.String())
		x.write(status, body)
	case fault.Truncate:
		x.e.Status = status
		x.truncate(status, body)
	case fault.HTTP:
		page := proxyPage(f.Status)
		h := x.w.Header()
		for k := range h {
			delete(h, k) // a proxy's page says nothing of the provider's answer
		}
		h.Set("Content-Type", "text/html")
		h.Set("Server", "nginx")
		h.Set(FaultHeader, f.String())
		x.e.Answer = string(page)
		x.write(f.Status, page)
	case fault.Timeout, fault.CommitThenTimeout:
		x.hold()
		x.cut(false)
	case fault.Reset, fault.CommitThenReset:
		x.cut(true)
	case fault.Empty, fault.CommitThenEmpty:
		x.cut(false)
	}
}

func (x *exchange[Q, A]) write(status int, body []byte) {
	x.e.Status = status
	x.w.WriteHeader(status)
	_, _ = x.w.Write(body)
}

func (x *exchange[Q, A]) logFault() {
	x.p.g.log.Info(x.p.proto.Title()+" fault applied", "fault", x.e.Fault, "from", x.e.FaultFrom, "path", x.r.URL.Path,
		"operation", x.e.Operation, "ids", strings.Join(x.e.IDs, ","))
}

// wait sleeps d in real time (the client's timeouts are real), no longer than the hold
// bound, and less if the client goes away or the server drains.
func (x *exchange[Q, A]) wait(d time.Duration) {
	d = min(d, x.p.g.maxHold)
	// A hold is exempt from the server's write timeout: it has its own bound.
	_ = http.NewResponseController(x.w).SetWriteDeadline(time.Now().Add(d + 30*time.Second))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-x.r.Context().Done():
	case <-x.p.g.drained:
	}
}

// hold keeps the connection with no answer until the client gives up, at most the hold
// bound.
func (x *exchange[Q, A]) hold() { x.wait(x.p.g.maxHold) }

// cut ends the connection with no HTTP answer: with a TCP reset when rst is set, else
// an orderly close.
func (x *exchange[Q, A]) cut(rst bool) {
	x.e.Status = 0
	conn, _, err := http.NewResponseController(x.w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server closes the connection without an answer
	}
	if tcp, ok := conn.(*net.TCPConn); ok && rst {
		_ = tcp.SetLinger(0) // close sends RST instead of FIN
	}
	_ = conn.Close()
}

// truncate writes the status line and headers of the real answer, announcing its full
// length, then half of the body, and closes: the client reads a cut answer.
func (x *exchange[Q, A]) truncate(status int, body []byte) {
	h := x.w.Header().Clone()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set(FaultHeader, string(fault.Truncate))
	conn, rw, err := http.NewResponseController(x.w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	writeRaw(rw.Writer, status, h, body[:len(body)/2])
}

func writeRaw(w *bufio.Writer, status int, h http.Header, body []byte) {
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = h.Write(w)
	_, _ = w.WriteString("\r\n")
	_, _ = w.Write(body)
	_ = w.Flush()
}

// proxyPage is the body nginx answers with when the upstream fails, which is what an
// integration meets in front of a real gateway.
func proxyPage(status int) []byte {
	title := fmt.Sprintf("%d %s", status, http.StatusText(status))
	return fmt.Appendf(nil, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", title, title)
}

// journalHeaders are the request headers worth keeping: the ones a provider reads and
// paysim's own. Authorization holds a signature, never a key.
func journalHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"Content-Type", "Authorization", ScenarioHeader, FaultHeader} {
		if v := h.Get(k); v != "" {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
