package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrk runs wrk -t2 -c<conns> -d<duration> --latency against
// POST /api/v3/work_packages and reads creates/s, p50 and p99 from its
// output.
func (d *driver) wrk() (result, error) {
	dir, err := os.MkdirTemp("", "deliveryload")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	lua := filepath.Join(dir, "create.lua")
	script := fmt.Sprintf(`wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer %s"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"subject":"Created under load","description":{"raw":"Created by the delivery benchmark."},"_links":{"project":{"href":"/api/v3/projects/%d"}}}'
`, d.token, d.project)
	if err := os.WriteFile(lua, []byte(script), 0o644); err != nil {
		return result{}, err
	}
	secs := int(d.c.duration / time.Second)
	cmd := exec.Command("wrk", "-t2", fmt.Sprintf("-c%d", d.conns), fmt.Sprintf("-d%ds", secs), "--latency", "-s", lua, d.api+"/api/v3/work_packages")
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	w, err := parseWrk(out)
	if err != nil {
		return result{}, fmt.Errorf("%v\n%s", err, out)
	}
	logf("  wrk: %.0f creates/s, p50 %.2f ms, p99 %.2f ms, %d errors", w.rps, w.p50, w.p99, w.errors)
	return result{figures: fmt.Sprintf("creates %.0f/s, p50 %.1f ms, p99 %.1f ms", w.rps, w.p50, w.p99),
		met: w.rps >= 6000 && w.p99 <= 50, errors: w.errors}, nil
}

type wrkResult struct {
	rps, p50, p99 float64 // requests/s; latencies in ms
	errors        int64   // non-2xx answers and socket errors
}

// parseWrk reads wrk's report: "Requests/sec:", the "50%" and "99%" lines
// of --latency, "Non-2xx or 3xx responses:" and "Socket errors:".
func parseWrk(out []byte) (wrkResult, error) {
	var w wrkResult
	var seen int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			w.rps, _ = strconv.ParseFloat(f[1], 64)
			seen++
		case len(f) == 2 && (f[0] == "50%" || f[0] == "99%"):
			ms, err := wrkDuration(f[1])
			if err != nil {
				return w, err
			}
			if f[0] == "50%" {
				w.p50 = ms
			} else {
				w.p99 = ms
			}
			seen++
		case strings.HasPrefix(sc.Text(), "  Non-2xx or 3xx responses:"):
			n, _ := strconv.ParseInt(f[len(f)-1], 10, 64)
			w.errors += n
		case len(f) > 2 && f[0] == "Socket" && f[1] == "errors:":
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for i := 3; i < len(f); i += 2 {
				n, _ := strconv.ParseInt(strings.TrimSuffix(f[i], ","), 10, 64)
				w.errors += n
			}
		}
	}
	if seen != 3 {
		return w, fmt.Errorf("wrk's output has no Requests/sec, 50%% and 99%% lines")
	}
	return w, nil
}

// wrkDuration turns wrk's "812.00us", "1.23ms", "2.01s" or "1.00m" into ms.
func wrkDuration(s string) (float64, error) {
	for _, u := range []struct {
		suffix string
		ms     float64
	}{{"us", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 60e3}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f * u.ms, err
		}
	}
	return 0, fmt.Errorf("wrk duration %q", s)
}
