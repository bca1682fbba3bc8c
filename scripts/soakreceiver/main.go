// Command soakreceiver drives the soak test (scripts/soak) against a running
// "hookpost serve": it receives the webhook deliveries in its own process,
// sets up a project and the webhooks through the admin API, creates and
// lists work packages through the APIv3 at a fixed rate, samples the
// server's RSS every 10 s, and at the end checks that the API answered
// nothing but 2xx, that every created work package reached every healthy
// webhook, and how the server's memory grew. It exits 1 when a check fails.
// It is a test tool, not part of Hookpost.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	api := flag.String("api", "", "base URL of the server, e.g. http://127.0.0.1:8080; several, comma-separated, share the creates (instances on one database)")
	token := flag.String("token", "", "an administrator's API token")
	pids := flag.String("pid", "", "the server's process id (for its RSS); several, comma-separated: their RSS is summed")
	duration := flag.Duration("duration", 10*time.Minute, "how long to create and list")
	rate := flag.Float64("rate", 500, "work packages created per second")
	listRate := flag.Float64("list-rate", 20, "lists per second")
	hooks := flag.Int("hooks", 10, "webhooks, each on every event")
	failing := flag.Int("failing", 2, "of which this many answer -fail-code")
	failCode := flag.Int("fail-code", 404, "what the failing endpoints answer")
	drain := flag.Duration("drain", 3*time.Minute, "how long to wait after the load for the healthy deliveries")
	maxRSS := flag.Float64("max-rss", 150, "peak RSS allowed, MB")
	maxGrowth := flag.Float64("max-growth", 10, "RSS growth allowed after the first minute, %")
	flag.Parse()
	var pid []int
	for _, p := range strings.Split(*pids, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil && n > 0 {
			pid = append(pid, n)
		}
	}
	if *api == "" || *token == "" || len(pid) == 0 {
		fmt.Fprintln(os.Stderr, "soakreceiver: -api, -token and -pid are needed")
		os.Exit(2)
	}
	var apis []string
	for _, a := range strings.Split(*api, ",") {
		apis = append(apis, strings.TrimRight(strings.TrimSpace(a), "/"))
	}
	s := &soak{apis: apis, token: *token, failCode: *failCode, failing: *failing,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}}
	if err := s.run(pid, *duration, *rate, *listRate, *hooks, *drain, *maxRSS, *maxGrowth); err != nil {
		fmt.Fprintln(os.Stderr, "soakreceiver:", err)
		os.Exit(1)
	}
}

type soak struct {
	apis              []string // the first one is used for the setup and the lists
	token             string
	client            *http.Client
	failCode, failing int

	// received[h][wp] counts the work_package:created deliveries of work
	// package wp to healthy webhook h (by its path index).
	mu       sync.Mutex
	received []map[int64]uint16
	arrived  atomic.Int64 // healthy deliveries
	failed   atomic.Int64 // deliveries answered with failCode

	created   sync.Map // work package id → true
	nCreated  atomic.Int64
	nLists    atomic.Int64
	apiErrors atomic.Int64
	skipped   atomic.Int64 // creates not sent: every worker was busy
	firstErr  atomic.Value
}

func (s *soak) run(pid []int, duration time.Duration, rate, listRate float64, hooks int, drain time.Duration, maxRSS, maxGrowth float64) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s.received = make([]map[int64]uint16, hooks)
	for i := range s.received {
		s.received[i] = map[int64]uint16{}
	}
	srv := &http.Server{Handler: http.HandlerFunc(s.receive), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	receiverURL := "http://" + ln.Addr().String()

	project, err := s.setup(receiverURL, hooks)
	if err != nil {
		return err
	}
	fmt.Printf("receiver %s: %d webhooks on every event, %d answering %d; %.0f creates/s and %.0f lists/s for %s\n",
		receiverURL, hooks, s.failing, s.failCode, rate, listRate, duration)

	ctx, stop := context.WithTimeout(context.Background(), duration)
	defer stop()
	var samples []float64
	var wg sync.WaitGroup
	wg.Go(func() { s.load(ctx, project, rate, listRate) })
	start := time.Now()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	var lastCreated, lastArrived int64
	sample := func() {
		rss := 0.0
		for _, p := range pid {
			v, err := rssMB(p)
			if err != nil {
				fmt.Println("rss:", err)
				return
			}
			rss += v
		}
		samples = append(samples, rss)
		c, a := s.nCreated.Load(), s.arrived.Load()
		fmt.Printf("t=%4.0fs  rss %6.1f MB  creates %6.0f/s  healthy deliveries %7.0f/s  api errors %d  skipped %d\n",
			time.Since(start).Seconds(), rss, float64(c-lastCreated)/10, float64(a-lastArrived)/10, s.apiErrors.Load(), s.skipped.Load())
		lastCreated, lastArrived = c, a
	}
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			sample()
		}
	}
	wg.Wait()
	loadTime := time.Since(start)

	healthy := hooks - s.failing
	want := s.nCreated.Load() * int64(healthy)
	fmt.Printf("load over: %d work packages created (%.0f/s), %d lists; waiting up to %s for %d healthy deliveries\n",
		s.nCreated.Load(), float64(s.nCreated.Load())/loadTime.Seconds(), s.nLists.Load(), drain, want)
	drainEnd := time.Now().Add(drain)
	for s.lost() > 0 && time.Now().Before(drainEnd) {
		time.Sleep(time.Second)
	}
	drained := time.Since(start) - loadTime
	lost, dups := s.lost(), s.duplicates()
	peak, growth := 0.0, 0.0
	for _, v := range samples {
		peak = max(peak, v)
	}
	if len(samples) > 6 { // the sample at 60 s against the last one
		growth = 100 * (samples[len(samples)-1] - samples[5]) / samples[5]
	}
	fmt.Println("samples (MB, every 10 s):", fmtSamples(samples))
	fmt.Printf("healthy deliveries %d in %.0f s of load + %.0f s of drain (%.0f/s over the load), failing endpoint answers %d\n",
		s.arrived.Load(), loadTime.Seconds(), drained.Seconds(), float64(s.arrived.Load())/loadTime.Seconds(), s.failed.Load())
	ok := true
	check := func(pass bool, format string, args ...any) {
		mark := "ok  "
		if !pass {
			mark, ok = "FAIL", false
		}
		fmt.Printf("%s %s\n", mark, fmt.Sprintf(format, args...))
	}
	first, _ := s.firstErr.Load().(string)
	check(s.apiErrors.Load() == 0, "API errors (non-2xx or no answer): %d %s", s.apiErrors.Load(), first)
	check(lost == 0, "lost deliveries to the %d healthy webhooks: %d of %d (duplicates %d)", healthy, lost, want, dups)
	check(peak <= maxRSS, "peak RSS %.1f MB (at most %.0f)", peak, maxRSS)
	check(len(samples) <= 6 || growth <= maxGrowth, "RSS growth after the first minute %.1f %% (at most %.0f %%)", growth, maxGrowth)
	if !ok {
		return errors.New("a check failed")
	}
	return nil
}

// receive answers a delivery: failCode on the failing webhooks' paths
// (/hook/0 … /hook/<failing-1>), 204 after counting it on the others.
func (s *soak) receive(rw http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hook/"))
	if err != nil || i < 0 || i >= len(s.received) {
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	if i < s.failing {
		_, _ = io.Copy(io.Discard, r.Body)
		s.failed.Add(1)
		rw.WriteHeader(s.failCode)
		return
	}
	var body struct {
		Action      string `json:"action"`
		WorkPackage struct {
			ID int64 `json:"id"`
		} `json:"work_package"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	if body.Action == "work_package:created" {
		s.mu.Lock()
		s.received[i][body.WorkPackage.ID]++
		s.mu.Unlock()
		s.arrived.Add(1)
	}
	rw.WriteHeader(http.StatusNoContent)
}

// lost counts the created work packages some healthy webhook has not received.
func (s *soak) lost() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	s.created.Range(func(k, _ any) bool {
		for i := s.failing; i < len(s.received); i++ {
			if s.received[i][k.(int64)] == 0 {
				n++
			}
		}
		return true
	})
	return n
}

func (s *soak) duplicates() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for i := s.failing; i < len(s.received); i++ {
		for _, c := range s.received[i] {
			if c > 1 {
				n += int64(c - 1)
			}
		}
	}
	return n
}

// setup creates a project and the webhooks (each on every event of the
// catalogue), and returns the project's id.
func (s *soak) setup(receiverURL string, hooks int) (int64, error) {
	var catalogue struct {
		Resources []struct {
			Events []struct {
				Name string `json:"name"`
			} `json:"events"`
		} `json:"resources"`
	}
	if err := s.call("GET", "/api/admin/events", nil, &catalogue); err != nil {
		return 0, err
	}
	var events []string
	for _, r := range catalogue.Resources {
		for _, e := range r.Events {
			events = append(events, e.Name)
		}
	}
	ident := fmt.Sprintf("soak-%d", time.Now().Unix())
	var project struct {
		ID int64 `json:"id"`
	}
	if err := s.call("POST", "/api/v3/projects", map[string]any{"identifier": ident, "name": "Soak " + ident}, &project); err != nil {
		return 0, err
	}
	for i := range hooks {
		in := map[string]any{"name": fmt.Sprintf("%s hook %d", ident, i), "url": fmt.Sprintf("%s/hook/%d", receiverURL, i),
			"events": events, "allProjects": true, "enabled": true, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
		if err := s.call("POST", "/api/admin/webhooks", in, nil); err != nil {
			return 0, err
		}
	}
	return project.ID, nil
}

func (s *soak) call(method, path string, in, out any) error {
	return s.callAt(s.apis[0], method, path, in, out)
}

// callAt is call against the server at base.
func (s *soak) callAt(base, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.client.Do(req)
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

// load creates work packages at rate per second (open loop, through a pool
// of workers: a create whose turn finds every worker busy is skipped and
// counted) and lists at listRate, until ctx ends.
func (s *soak) load(ctx context.Context, project int64, rate, listRate float64) {
	const workers = 64
	turns := make(chan struct{})
	var wg sync.WaitGroup
	body := fmt.Sprintf(`{"subject":"Soak","description":{"raw":"Created by the soak test."},"_links":{"project":{"href":"/api/v3/projects/%d"}}}`, project)
	for w := range workers {
		base := s.apis[w%len(s.apis)]
		wg.Go(func() {
			for range turns {
				var wp struct {
					ID int64 `json:"id"`
				}
				if err := s.callAt(base, "POST", "/api/v3/work_packages", json.RawMessage(body), &wp); err != nil {
					s.apiError(err)
					continue
				}
				s.created.Store(wp.ID, true)
				s.nCreated.Add(1)
			}
		})
	}
	wg.Go(func() {
		every := time.Duration(float64(time.Second) / listRate)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				path := fmt.Sprintf("/api/v3/projects/%d/work_packages?pageSize=20", project)
				if err := s.call("GET", path, nil, nil); err != nil {
					s.apiError(err)
				} else {
					s.nLists.Add(1)
				}
			}
		}
	})
	start := time.Now()
	for i := int64(0); ; i++ {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		select {
		case <-ctx.Done():
			close(turns)
			wg.Wait()
			return
		case <-time.After(time.Until(at)):
		}
		select {
		case turns <- struct{}{}:
		default:
			s.skipped.Add(1)
		}
	}
}

func (s *soak) apiError(err error) {
	if s.apiErrors.Add(1) == 1 {
		s.firstErr.Store("(first: " + err.Error() + ")")
	}
}

// rssMB reads VmRSS of a process, in MB (10^6 bytes).
func rssMB(pid int) (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb * 1024 / 1e6, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/" + strconv.Itoa(pid) + "/status")
}

func fmtSamples(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strings.Join(parts, " ")
}
