// Command compare measures paysim side by side with a bare Echo server built from this
// repository (bench/bare), in one run and alternately, and prints each load as a ratio:
// signed loads to the signing ceiling it measures first (RSA-2048 signatures a second on
// every core), unsigned ones to bare Echo. Ratios measured in one run hold on a shared
// machine whose speed drifts; absolute figures do not.
//
//	go run ./bench/compare [-duration 4s] [-conns 16] [-rounds 2]
//
// The load generator runs in this process and shares the cores with the servers, as wrk
// would. Everything listens on loopback.
package main

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/rsakey"
	"github.com/paysim/paysim/sim/shouqianba"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
)

const today = "20260101" // the virtual clock's first day

var (
	verbose   bool
	paysimDir string
)

func main() {
	duration := flag.Duration("duration", 4*time.Second, "how long each load runs, each round")
	conns := flag.Int("conns", 16, "concurrent connections")
	rounds := flag.Int("rounds", 2, "rounds; each runs every load once, paysim and bare Echo alternately")
	orders := flag.Int("orders", 1000, "orders the cycling load queries in turn")
	only := flag.String("only", "", "run only the loads whose name contains this (and their baselines)")
	flag.StringVar(&paysimDir, "paysim", ".", "the checkout to build paysim from (another commit's worktree, for a before and after)")
	flag.BoolVar(&verbose, "v", false, "print each round's figures")
	flag.Parse()
	log.SetFlags(0)
	if err := run(*duration, *conns, *rounds, *orders, *only); err != nil {
		log.Fatal("compare: ", err)
	}
}

func run(duration time.Duration, conns, rounds, orders int, only string) error {
	tmp, err := os.MkdirTemp("", "paysim-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bins := map[string]string{}
	for name, src := range map[string][2]string{"paysim": {paysimDir, "./cmd/paysim"}, "bare": {".", "./bench/bare"}} {
		out := filepath.Join(tmp, name)
		build := exec.Command("go", "build", "-o", out, src[1])
		build.Dir = src[0]
		if b, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s in %s: %v\n%s", src[1], src[0], err, b)
		}
		bins[name] = out
	}

	fmt.Printf("paysim side by side with bare Echo, %s, %d cores, %s per load, %d connections, %d rounds\n\n",
		time.Now().Format("2006-01-02"), runtime.NumCPU(), duration, conns, rounds)
	ceiling, err := signingCeiling(2 * time.Second)
	if err != nil {
		return err
	}
	fmt.Printf("signing ceiling: %.0f RSA-2048 signatures a second on %d cores (measured again before each signed load)\n", ceiling, runtime.NumCPU())

	psAddr, bareAddr := freeAddr(), freeAddr()
	ps, startup, err := start(bins["paysim"], "http://"+psAddr+"/__paysim/health",
		"--addr", psAddr, "--clock", "virtual", "--log-level", "warn")
	if err != nil {
		return err
	}
	defer stop(ps)
	time.Sleep(time.Second)
	rss := rssMiB(ps.Process.Pid)
	fmt.Printf("paysim: %.1f ms from start to its first answer, %.1f MiB resident when idle\n\n", ms(startup), rss)
	bare, _, err := start(bins["bare"], "http://"+bareAddr+"/hello", "-addr", bareAddr)
	if err != nil {
		return err
	}
	defer stop(bare)

	perRound := int(ceiling*duration.Seconds()*1.5) + 1000
	if only != "" && !strings.Contains("new signed Huifu payments", only) {
		perRound = 0
	}
	all, err := prepare("http://"+psAddr, "http://"+bareAddr, orders, perRound*rounds)
	if err != nil {
		return err
	}
	var loads []load
	for _, l := range all {
		if strings.Contains(l.name, only) || slices.ContainsFunc(all, func(o load) bool { return o.baseline == l.name && strings.Contains(o.name, only) }) {
			loads = append(loads, l)
		}
	}
	results := map[string][]result{}
	for r := range rounds {
		for _, l := range loads {
			warm := l
			warm.once = false
			runLoad(warm, conns, duration/10) // warm-up, not counted
			var c float64
			if l.signed {
				// Right before the load, so that both see the machine at the same speed.
				if c, err = signingCeiling(duration / 2); err != nil {
					return err
				}
			}
			before := signatures("http://" + psAddr)
			res := runLoad(l, conns, duration)
			res.ceiling = c
			after := signatures("http://" + psAddr)
			res.made, res.reused = after[0]-before[0], after[1]-before[1]
			if res.failed > 0 {
				return fmt.Errorf("round %d, %s: %d of %d answers were not the expected one (first: %s)", r+1, l.name, res.failed, res.n, res.firstBad)
			}
			results[l.name] = append(results[l.name], res)
			if verbose {
				fmt.Fprintf(os.Stderr, "round %d %s: %d requests in %s, %.0f signatures made, %.0f reused, ceiling %.0f/s, exhausted %v\n",
					r+1, l.name, res.n, res.took.Round(time.Millisecond), res.made, res.reused, res.ceiling, res.exhausted)
			}
		}
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "load\treq/s\tp50\tp99\tratio\tsignatures made / reused\t")
	median := func(name string, f func(result) float64) float64 {
		var rs []float64
		for _, r := range results[name] {
			rs = append(rs, f(r))
		}
		slices.Sort(rs)
		return rs[len(rs)/2]
	}
	rate := func(name string) float64 { return median(name, result.rate) }
	for _, l := range loads {
		if l.baseline == "" && !l.signed { // a baseline, shown in its load's ratio
			continue
		}
		var all []time.Duration
		for _, r := range results[l.name] {
			all = append(all, r.lat...)
		}
		slices.Sort(all)
		ratio := ""
		switch {
		case l.signed:
			ratio = fmt.Sprintf("%.2f× the signing ceiling (%.0f/s)", median(l.name, func(r result) float64 { return r.rate() / r.ceiling }),
				median(l.name, func(r result) float64 { return r.ceiling }))
		default:
			ratio = fmt.Sprintf("%.2f× bare Echo (%.0f req/s)", rate(l.name)/rate(l.baseline), rate(l.baseline))
		}
		note := ""
		for _, r := range results[l.name] {
			if r.exhausted {
				note = " (ran out of prepared requests: raise -duration's budget)"
			}
		}
		sigs := "—"
		if l.signed {
			var made, reused float64
			for _, r := range results[l.name] {
				made, reused = made+r.made, reused+r.reused
			}
			sigs = fmt.Sprintf("%.0f / %.0f", made, reused)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s%s\t%s\t\n", l.name, rate(l.name), fmtDur(pct(all, 0.50)), fmtDur(pct(all, 0.99)), ratio, note, sigs)
	}
	return tw.Flush()
}

// signingCeiling is how many RSA-2048 PKCS#1 v1.5 signatures every core together makes
// in a second: what signed answers that never repeat cannot go past.
func signingCeiling(d time.Duration) (float64, error) {
	key, err := rsakey.LoadPrivate(paysim.DefaultKeys(), "huifu/platform_private.pem")
	if err != nil {
		return 0, err
	}
	msg := []byte(`{"huifu_id":"6666000100000002","resp_code":"00000000","trans_stat":"S"}`)
	var n atomic.Int64
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := 0; time.Now().Before(end); i++ {
				if _, err := rsakey.Sign(key, crypto.SHA256, append(msg, byte(i))); err == nil {
					n.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds(), nil
}

// load is one kind of traffic: the bodies sent in turn to url, each answer checked for
// expect. once means each body may be sent only once (their answers must never repeat).
type load struct {
	name     string
	url      string
	header   http.Header
	bodies   [][]byte
	expect   []byte
	once     bool
	signed   bool
	baseline string // the load this one is compared with
	// next is the next body to send, shared by every run of the load, so that a body
	// sent once is never sent again (a second send would be an identical retry).
	next *atomic.Int64
}

func prepare(ps, bare string, orders, newPayments int) ([]load, error) {
	keys := paysim.DefaultKeys()
	hf, err := huifutest.NewClient(ps, keys)
	if err != nil {
		return nil, err
	}
	seedIDs := []string{"bench-poll"}
	for i := range orders {
		seedIDs = append(seedIDs, fmt.Sprintf("bench-cycle-%06d", i))
	}
	for _, id := range seedIDs {
		if err := seed(ps, map[string]any{"provider": "huifu", "merchant": huifutest.HuifuID, "id": id, "amount": "1.00",
			"fields": map[string]string{"req_date": today}}); err != nil {
			return nil, err
		}
	}
	if err := seed(ps, map[string]any{"provider": "shouqianba", "merchant": shouqianba.TestMerchantSN, "id": "bench-sqb", "amount": "1.00"}); err != nil {
		return nil, err
	}
	query := func(id string) ([]byte, error) {
		return hf.SignedBody(map[string]any{"huifu_id": huifutest.HuifuID, "org_req_date": today, "org_req_seq_id": id})
	}
	poll, err := query("bench-poll")
	if err != nil {
		return nil, err
	}
	cycle, err := signAll(len(seedIDs)-1, func(i int) ([]byte, error) { return query(seedIDs[i+1]) })
	if err != nil {
		return nil, err
	}
	if newPayments > 0 {
		fmt.Printf("signing %d new payments for the new-payment load...\n", newPayments)
	}
	pays, err := signAll(newPayments, func(i int) ([]byte, error) {
		return hf.SignedBody(map[string]any{"req_date": today, "req_seq_id": fmt.Sprintf("bench-pay-%08d", i), "huifu_id": huifutest.HuifuID,
			"goods_desc": "测试商品", "trans_amt": "0.01", "auth_code": "134567890123456789", "risk_check_data": `{"ip_addr":"127.0.0.1"}`})
	})
	if err != nil {
		return nil, err
	}
	sqb := shouqianbatest.NewClient(ps)
	sqbBody, err := sqb.Body("/upay/v2/query", map[string]any{"client_sn": "bench-sqb"})
	if err != nil {
		return nil, err
	}
	sqbHeader := http.Header{"Content-Type": {"application/json"}, "Authorization": {sqb.Authorization("/upay/v2/query", sqbBody)}}
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	fmt.Println()
	loads := []load{
		{name: "identical signed Huifu polls", url: ps + "/v3/trade/payment/scanpay/query", header: jsonHeader, bodies: [][]byte{poll}, expect: []byte(`"trans_stat":"S"`), signed: true},
		{name: fmt.Sprintf("signed Huifu queries cycling over %d orders", orders), url: ps + "/v3/trade/payment/scanpay/query", header: jsonHeader, bodies: cycle, expect: []byte(`"trans_stat":"S"`), signed: true},
		{name: "new signed Huifu payments (answers never repeat)", url: ps + "/v3/trade/payment/micropay", header: jsonHeader, bodies: pays, expect: []byte(`"resp_code":"00000000"`), once: true, signed: true},
		{name: "bare Echo POST", url: bare + "/answer", header: jsonHeader, bodies: [][]byte{sqbBody}, expect: []byte(`"result_code":"200"`)},
		{name: "Shouqianba query", url: ps + "/upay/v2/query", header: sqbHeader, bodies: [][]byte{sqbBody}, expect: []byte(`"result_code":"200"`), baseline: "bare Echo POST"},
		{name: "bare Echo GET", url: bare + "/hello", expect: []byte("hello")},
		{name: "control plane GET /__paysim/health", url: ps + "/__paysim/health", expect: []byte(`"ok"`), baseline: "bare Echo GET"},
	}
	for i := range loads {
		loads[i].next = new(atomic.Int64)
	}
	return loads, nil
}

// signAll makes n bodies on every core.
func signAll(n int, build func(i int) ([]byte, error)) ([][]byte, error) {
	out := make([][]byte, n)
	var next atomic.Int64
	var first error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				b, err := build(i)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
				out[i] = b
			}
		})
	}
	wg.Wait()
	return out, first
}

func seed(base string, order map[string]any) error {
	body, _ := json.Marshal(order)
	resp, err := http.Post(base+"/__paysim/orders", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("seeding %s: %s %s", order["id"], resp.Status, b)
	}
	return nil
}

type result struct {
	n, failed int
	firstBad  string
	took      time.Duration
	lat       []time.Duration
	exhausted bool
	ceiling   float64 // signatures a second measured right before, for signed loads
	// made and reused are paysim's signatures during the load (its metrics), to show
	// what the signature cache did.
	made, reused float64
}

func (r result) rate() float64 { return float64(r.n) / r.took.Seconds() }

// maxSamples bounds the latencies a load keeps (8 MB).
const maxSamples = 1 << 20

func runLoad(l load, conns int, d time.Duration) result {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var (
		mu  sync.Mutex
		res result
		wg  sync.WaitGroup
	)
	start := time.Now()
	end := start.Add(d)
	for range conns {
		wg.Go(func() {
			var lat []time.Duration
			n, failed, exhausted, bad := 0, 0, false, ""
			for time.Now().Before(end) {
				i := int(l.next.Add(1) - 1)
				if l.once && i >= len(l.bodies) {
					exhausted = true
					break
				}
				method, body := http.MethodGet, []byte(nil)
				if l.bodies != nil {
					method, body = http.MethodPost, l.bodies[i%len(l.bodies)]
				}
				req, _ := http.NewRequest(method, l.url, bytes.NewReader(body))
				req.Header = l.header.Clone()
				t := time.Now()
				resp, err := client.Do(req)
				var got []byte
				if err == nil {
					got, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = errors.New(resp.Status)
					}
				}
				if len(lat) < maxSamples/conns {
					lat = append(lat, time.Since(t))
				}
				n++
				if err != nil || !bytes.Contains(got, l.expect) {
					failed++
					if bad == "" {
						bad = fmt.Sprintf("%v %.200s", err, got)
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.n += n
			res.failed += failed
			res.exhausted = res.exhausted || exhausted
			res.lat = append(res.lat, lat...)
			if res.firstBad == "" {
				res.firstBad = bad
			}
		})
	}
	wg.Wait()
	res.took = time.Since(start)
	return res
}

// signatures reads paysim's Huifu signature counts from its metrics: made, reused.
func signatures(base string) [2]float64 {
	var out [2]float64
	resp, err := http.Get(base + "/__paysim/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for line := range strings.Lines(string(body)) {
		for i, cache := range []string{"miss", "hit"} {
			prefix := `paysim_signatures_total{cache="` + cache + `",provider="huifu"} `
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
				out[i], _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	return out
}

// start runs a server and waits for its first answer at ready; the time that took is
// paysim's start-up as a user sees it.
func start(bin, ready string, args ...string) (*exec.Cmd, time.Duration, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	t := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		resp, err := http.Get(ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, time.Since(t), nil
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	stop(cmd)
	return nil, 0, fmt.Errorf("%s did not answer %s within 10s", bin, ready)
}

func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
	}
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// rssMiB reads a process's resident memory from /proc (Linux; 0 elsewhere).
func rssMiB(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fmtDur(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%d µs", d.Microseconds())
	}
	return fmt.Sprintf("%.1f ms", ms(d))
}
