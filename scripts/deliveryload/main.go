// Command deliveryload measures Hookpost's webhook path from outside, for
// scripts/bench-delivery: a running "hookpost serve" (its pid and its
// --pprof-addr given), this process as the load generator, and the
// webhooks' receiver in a process of its own (this command with -receive),
// which verifies every delivery's X-OP-Signature. One case per run:
//
//	create      wrk -t2 -c64 creates work packages as fast as it goes, one
//	            webhook on every event; then every delivery must arrive
//	deliveries  10 webhooks on every event while creates arrive open loop
//	            at -rate: deliveries/s counted by the receiver per second
//	latency     creates open loop at -rate (1,000/s), one webhook: receipt
//	            minus the payload's createdAt (commit → receipt, from above)
//	            and minus the create's response (from below)
//	ceiling     no server: this process sends signed deliveries to the
//	            receiver as the dispatcher does, 10 webhooks, 4 in flight
//	            each, as fast as they go: the HTTP side's ceiling on this
//	            machine, which the other cases share the cores with
//	floor       ceiling with each answered delivery logged as one row of
//	            delivery_attempts in a fresh SQLite file (the store's writer,
//	            indexes and foreign keys as in the product): the least a
//	            signed, logged delivery costs with this stack and this log
//
// During the load it saves the server's CPU profile and its allocation
// profiles before and after into -profile-dir. Progress and details go to
// stderr; one Markdown table row goes to stdout. It exits 1 when a
// delivery is missing or unsigned or the API answered an error; a target
// not met is shown in the row, not in the exit code. It is a test tool,
// not part of Hookpost.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func main() {
	receive := flag.Bool("receive", false, "run as the webhooks' receiver (started by the driver)")
	hooks := flag.Int("hooks", 0, "webhooks on every event (default: 1, or 10 for the deliveries case)")
	kase := flag.String("case", "", "create, deliveries or latency")
	run := flag.String("run", "1", "the run's label in the row")
	api := flag.String("api", "", "base URL of the server, e.g. http://127.0.0.1:8080")
	token := flag.String("token", "", "an administrator's API token")
	pid := flag.Int("pid", 0, "the server's process id (CPU and peak RSS from /proc)")
	pprofAddr := flag.String("pprof", "", "the server's --pprof-addr (HOST:PORT); empty: no profiles")
	profileDir := flag.String("profile-dir", "", "where to save the profiles (cpu.pb.gz, allocs-before.pb.gz, allocs-after.pb.gz)")
	senders := flag.Int("senders", 4, "ceiling and floor: requests in flight per webhook (the dispatcher's default is 4)")
	duration := flag.Duration("duration", 0, "the load's duration (default 15s for create, 60s otherwise)")
	rate := flag.Float64("rate", 0, "creates/s, open loop (default 2,000 for deliveries, 1,000 for latency)")
	connections := flag.Int("c", 64, "connections (wrk) or client workers")
	drain := flag.Duration("drain", 5*time.Minute, "how long to wait after the load for every delivery")
	flag.Parse()
	if *receive {
		if err := runReceiver(secret, max(*hooks, 1)); err != nil {
			fmt.Fprintln(os.Stderr, "deliveryload:", err)
			os.Exit(1)
		}
		return
	}
	c := caseOf(*kase)
	if c == nil || (c.name != "ceiling" && c.name != "floor" && (*api == "" || *token == "" || *pid == 0)) {
		fmt.Fprintln(os.Stderr, "deliveryload: -case create|deliveries|latency with -api, -token and -pid, or -case ceiling|floor, is needed")
		os.Exit(2)
	}
	if *hooks > 0 {
		c.hooks = *hooks
	}
	if *duration > 0 {
		c.duration = *duration
	}
	if *rate > 0 {
		c.rate = *rate
	}
	d := &driver{c: c, run: *run, api: strings.TrimRight(*api, "/"), token: *token, pid: *pid,
		pprof: *pprofAddr, profileDir: *profileDir, conns: *connections, senders: max(*senders, 1), drain: *drain,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}}}
	do := d.do
	switch c.name {
	case "ceiling":
		do = d.ceiling
	case "floor":
		do = d.floor
	}
	row, err := do()
	if row != "" {
		fmt.Println(row)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "deliveryload:", err)
		os.Exit(1)
	}
}

// A kase is one of the three measurements with its defaults and targets.
type kase struct {
	name     string
	hooks    int
	duration time.Duration
	rate     float64 // 0: as fast as wrk goes
	target   string
}

func caseOf(name string) *kase {
	switch name {
	case "create":
		return &kase{name: name, hooks: 1, duration: 15 * time.Second, target: "≥ 6,000/s, p99 ≤ 50 ms"}
	case "deliveries":
		return &kase{name: name, hooks: 10, duration: 60 * time.Second, rate: 2000, target: "≥ 20,000/s"}
	case "latency":
		return &kase{name: name, hooks: 1, duration: 60 * time.Second, rate: 1000, target: "p50 ≤ 3 ms, p99 ≤ 20 ms"}
	case "ceiling", "floor":
		return &kase{name: name, hooks: 10, duration: 15 * time.Second}
	}
	return nil
}

type driver struct {
	c                 *kase
	run               string
	api, token        string
	pid               int
	pprof, profileDir string
	conns             int
	senders           int
	drain             time.Duration
	client            *http.Client

	recvURL   string
	recvPID   int
	project   int64
	responded map[int64]int64 // latency case: work package id → Unix ns its create's response was read
}

// result is what a load produced, for the row.
type result struct {
	figures string
	met     bool
	errors  int64 // API answers other than 2xx, or none
}

func (d *driver) do() (string, error) {
	stop, err := d.startReceiver()
	if err != nil {
		return "", err
	}
	defer stop()
	if err := d.setup(); err != nil {
		return "", err
	}
	logf("%s run %s: %d webhook(s) on every event, receiver pid %d at %s, %s of load",
		d.c.name, d.run, d.c.hooks, d.recvPID, d.recvURL, d.c.duration)
	t0 := time.Now()
	latency := "0"
	if d.c.name == "latency" {
		latency = "1"
	}
	if err := d.get(d.recvURL+"/reset?latency="+latency+"&t0="+strconv.FormatInt(t0.UnixNano(), 10), nil); err != nil {
		return "", err
	}
	profiled := d.startProfiles()
	srv0, rcv0 := cpuTicks(d.pid), cpuTicks(d.recvPID)
	var res result
	switch d.c.name {
	case "create":
		res, err = d.wrk()
	default:
		res, err = d.openLoop(t0)
	}
	loadEnd := time.Now()
	loadSecs := loadEnd.Sub(t0).Seconds()
	srvCores := float64(cpuTicks(d.pid)-srv0) / clockTicks / loadSecs
	rcvCores := float64(cpuTicks(d.recvPID)-rcv0) / clockTicks / loadSecs
	if err != nil {
		return "", err
	}
	profErr := profiled()

	// Every work package of the project is one the load created (the
	// database is fresh): each webhook must receive each one's
	// work_package:created, signed.
	st, created, complete, err := d.waitDrain()
	if err != nil {
		return "", err
	}
	drained := time.Duration(0)
	if st.Last > loadEnd.UnixNano() {
		drained = time.Duration(st.Last - loadEnd.UnixNano())
	}
	var missing int64
	for _, n := range st.Distinct {
		missing += max(created-n, 0)
	}
	logf("  %d work packages created; %d deliveries received, %d missing, %d duplicates, %d unsigned; last one %.2f s after the load",
		created, st.Deliveries, missing, st.Dups, st.Bad, drained.Seconds())
	check := fmt.Sprintf("; deliveries %d of %d, missing %d, unsigned %d, drain %.1f s",
		int64(len(st.Distinct))*created-missing, int64(len(st.Distinct))*created, missing, st.Bad, drained.Seconds())

	switch d.c.name {
	case "deliveries":
		res = deliveryFigures(res, st, int(d.c.duration/time.Second))
	case "latency":
		res, err = d.latencyFigures(res)
		if err != nil {
			return "", err
		}
	}
	mark := "met"
	if !res.met {
		mark = "not met"
	}
	rss := peakRSS(d.pid)
	row := fmt.Sprintf("| %s | %s | %s%s | %s | %s | %.2f | %.2f | %.0f |",
		d.c.name, d.run, res.figures, check, d.c.target, mark, srvCores, rcvCores, rss)
	var problems []string
	if !complete || missing != 0 {
		problems = append(problems, fmt.Sprintf("%d deliveries missing after %s of drain", missing, d.drain))
	}
	if st.Bad != 0 {
		problems = append(problems, fmt.Sprintf("%d deliveries without a valid signature", st.Bad))
	}
	if res.errors != 0 {
		problems = append(problems, fmt.Sprintf("%d API errors", res.errors))
	}
	if profErr != nil {
		problems = append(problems, "profiles: "+profErr.Error())
	}
	if len(problems) > 0 {
		return row, errors.New(strings.Join(problems, "; "))
	}
	return row, nil
}

// startReceiver runs this command with -receive and returns the function
// that ends it (closing its stdin).
func (d *driver) startReceiver() (func(), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-receive", "-hooks", strconv.Itoa(d.c.hooks))
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("receiver did not start: %q %v", line, err)
	}
	d.recvURL, d.recvPID = "http://"+addr, cmd.Process.Pid
	return func() { _ = in.Close(); _ = cmd.Wait() }, nil
}

// setup creates a project and the webhooks, each on every event of the
// catalogue, all projects, with the secret the receiver verifies.
func (d *driver) setup() error {
	var catalogue struct {
		Resources []struct {
			Events []struct {
				Name string `json:"name"`
			} `json:"events"`
		} `json:"resources"`
	}
	if err := d.call("GET", "/api/admin/events", nil, &catalogue); err != nil {
		return err
	}
	var events []string
	for _, r := range catalogue.Resources {
		for _, e := range r.Events {
			events = append(events, e.Name)
		}
	}
	ident := fmt.Sprintf("load-%d", time.Now().UnixNano())
	var project struct {
		ID int64 `json:"id"`
	}
	if err := d.call("POST", "/api/v3/projects", map[string]any{"identifier": ident, "name": "Load " + ident}, &project); err != nil {
		return err
	}
	d.project = project.ID
	for i := range d.c.hooks {
		in := map[string]any{"name": fmt.Sprintf("%s hook %d", ident, i), "url": fmt.Sprintf("%s/hook/%d", d.recvURL, i),
			"events": events, "allProjects": true, "enabled": true, "secret": secret}
		if err := d.call("POST", "/api/admin/webhooks", in, nil); err != nil {
			return err
		}
	}
	return nil
}

// total is the number of work packages in the load's project.
func (d *driver) total() (int64, error) {
	var page struct {
		Total int64 `json:"total"`
	}
	path := fmt.Sprintf("/api/v3/projects/%d/work_packages?pageSize=1&filters=%%5B%%5D", d.project)
	err := d.call("GET", path, nil, &page)
	return page.Total, err
}

// waitDrain polls the receiver until every webhook has every work package
// of the project, or the drain time is over. The number of work packages is
// read again whenever the receiver has them all: creates wrk had in flight
// when it stopped may commit after the first count.
func (d *driver) waitDrain() (st stats, created int64, complete bool, err error) {
	end := time.Now().Add(d.drain)
	if created, err = d.total(); err != nil {
		return st, 0, false, err
	}
	for {
		st = stats{}
		if err := d.get(d.recvURL+"/stats", &st); err != nil {
			logf("  receiver: %v", err)
		}
		done := len(st.Distinct) > 0
		for _, n := range st.Distinct {
			done = done && n >= created
		}
		if done {
			now, err := d.total()
			if err != nil {
				return st, created, false, err
			}
			if now == created {
				return st, created, true, nil
			}
			created = now
			continue
		}
		if time.Now().After(end) {
			return st, created, false, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startProfiles takes the server's allocation profile now and its CPU
// profile for the load's duration; the function it returns waits for the
// CPU profile and takes the allocation profile again.
func (d *driver) startProfiles() func() error {
	if d.pprof == "" || d.profileDir == "" {
		return func() error { return nil }
	}
	base := "http://" + d.pprof + "/debug/pprof/"
	if err := os.MkdirAll(d.profileDir, 0o755); err != nil {
		return func() error { return err }
	}
	save := func(url, name string) error {
		res, err := http.Get(url)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", url, res.Status)
		}
		f, err := os.Create(filepath.Join(d.profileDir, name))
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, res.Body); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	before := save(base+"allocs", "allocs-before.pb.gz")
	cpu := make(chan error, 1)
	go func() {
		cpu <- save(fmt.Sprintf("%sprofile?seconds=%d", base, int(d.c.duration/time.Second)), "cpu.pb.gz")
	}()
	return func() error {
		return errors.Join(before, <-cpu, save(base+"allocs", "allocs-after.pb.gz"))
	}
}

func (d *driver) call(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.api+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+d.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s %s", method, path, res.Status, bytes.TrimSpace(data[:min(len(data), 300)]))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func (d *driver) get(url string, out any) error {
	res, err := d.client.Get(url)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// load state shared by the open-loop workers.
type loadState struct {
	sent, late, errs atomic.Int64
	unsent           atomic.Int64 // slots still queued when the load's time was over
	maxLate          atomic.Int64 // ns
	mu               sync.Mutex
	responded        map[int64]int64 // work package id → Unix ns its create's response was read (latency case)
	firstErr         atomic.Value
}

// lateAfter: a request that starts later than this after its slot in the
// schedule is counted as late.
const lateAfter = time.Millisecond

// openLoop creates work packages at d.c.rate for d.c.duration on a
// schedule that does not wait for answers: slot i is at t0 + i/rate; a
// pacer puts each slot into a queue (never blocking: it holds the whole
// run) when its time comes, and d.conns workers send them. A request that
// starts more than lateAfter after its slot is counted late.
func (d *driver) openLoop(t0 time.Time) (result, error) {
	n := int(d.c.rate * d.c.duration.Seconds())
	slots := make(chan time.Time, n)
	ls := &loadState{}
	keep := d.c.name == "latency"
	if keep {
		ls.responded = make(map[int64]int64, n)
	}
	body := fmt.Sprintf(`{"subject":"Created under load","description":{"raw":"Created by the delivery benchmark."},"_links":{"project":{"href":"/api/v3/projects/%d"}}}`, d.project)
	end := t0.Add(d.c.duration)
	var wg sync.WaitGroup
	for range d.conns {
		wg.Go(func() {
			for at := range slots {
				if time.Now().After(end) {
					ls.unsent.Add(1) // the load's time is over: it lasts d.c.duration, not until the queue is empty
					continue
				}
				late := time.Since(at)
				if late > lateAfter {
					ls.late.Add(1)
				}
				for {
					m := ls.maxLate.Load()
					if int64(late) <= m || ls.maxLate.CompareAndSwap(m, int64(late)) {
						break
					}
				}
				var wp struct {
					ID int64 `json:"id"`
				}
				err := d.call("POST", "/api/v3/work_packages", json.RawMessage(body), &wp)
				done := time.Now().UnixNano()
				ls.sent.Add(1)
				if err != nil {
					if ls.errs.Add(1) == 1 {
						ls.firstErr.Store(err.Error())
					}
					continue
				}
				if keep {
					ls.mu.Lock()
					ls.responded[wp.ID] = done
					ls.mu.Unlock()
				}
			}
		})
	}
	every := time.Duration(float64(time.Second) / d.c.rate)
	for i := range n {
		if w := time.Until(t0.Add(time.Duration(i) * every)); w > 0 {
			time.Sleep(w)
		}
		slots <- t0.Add(time.Duration(i) * every)
	}
	close(slots)
	wg.Wait()
	secs := time.Since(t0).Seconds()
	first, _ := ls.firstErr.Load().(string)
	logf("  %d creates sent in %.1f s (%.0f/s of %.0f/s scheduled), %d started over %s late (latest %.1f ms), %d not sent in time, %d errors %s",
		ls.sent.Load(), secs, float64(ls.sent.Load())/secs, d.c.rate, ls.late.Load(), lateAfter,
		float64(ls.maxLate.Load())/1e6, ls.unsent.Load(), ls.errs.Load(), first)
	d.responded = ls.responded
	return result{figures: fmt.Sprintf("creates %.0f/s of %.0f/s scheduled (%d late > 1 ms, latest %.0f ms, %d not sent)",
		float64(ls.sent.Load())/secs, d.c.rate, ls.late.Load(), float64(ls.maxLate.Load())/1e6, ls.unsent.Load()), errors: ls.errs.Load()}, nil
}

// deliveryFigures: the receiver's count per second over the seconds of
// the load; the target is met when the slowest second reaches it.
func deliveryFigures(res result, st stats, seconds int) result {
	per := make([]int64, seconds)
	copy(per, st.PerSecond)
	lo, med, mean := summary(per)
	logf("  deliveries per second: %v", per)
	res.figures = fmt.Sprintf("deliveries/s min %.0f / median %.0f / mean %.0f; %s", lo, med, mean, res.figures)
	res.met = lo >= 20000 // sustained: every second of the minute
	return res
}

// summary is the minimum, median and mean of v.
func summary(v []int64) (lo, med, mean float64) {
	if len(v) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	var sum int64
	for _, x := range s {
		sum += x
	}
	med = float64(s[len(s)/2])
	if len(s)%2 == 0 {
		med = float64(s[len(s)/2-1]+s[len(s)/2]) / 2
	}
	return float64(s[0]), med, float64(sum) / float64(len(s))
}

// percentile is the nearest-rank p-th percentile of sorted values.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(float64(len(sorted))*p/100)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// latencyFigures joins the receiver's samples with the creates' response
// times: receipt − createdAt bounds commit → receipt from above (createdAt
// is stamped in the writing transaction, before the commit, and truncated
// to the millisecond); receipt − response read bounds it from below (the
// commit happened before the response was sent).
func (d *driver) latencyFigures(res result) (result, error) {
	var st stats
	if err := d.get(d.recvURL+"/stats?samples=1", &st); err != nil {
		return res, err
	}
	var upper, lower []float64
	for _, s := range st.Samples {
		upper = append(upper, float64(s.Receipt-s.CreatedAt*1e6)/1e6)
		if r, ok := d.responded[s.ID]; ok {
			lower = append(lower, float64(s.Receipt-r)/1e6)
		}
	}
	slices.Sort(upper)
	slices.Sort(lower)
	p50, p99 := percentile(upper, 50), percentile(upper, 99)
	logf("  commit → receipt (receipt − createdAt), %d samples: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		len(upper), p50, p99, percentile(upper, 100))
	logf("  receipt − response read, %d samples: p50 %.1f ms, p99 %.1f ms, max %.1f ms (negative: the delivery came first)",
		len(lower), percentile(lower, 50), percentile(lower, 99), percentile(lower, 100))
	res.figures = fmt.Sprintf("commit→receipt p50 %.1f / p99 %.1f / max %.1f ms (receipt − response: p50 %.1f / p99 %.1f ms); %s",
		p50, p99, percentile(upper, 100), percentile(lower, 50), percentile(lower, 99), res.figures)
	res.met = len(upper) > 0 && p50 <= 3 && p99 <= 20
	return res, nil
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
