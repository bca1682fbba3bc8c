// Command coldstart measures how long "hookpost serve" takes from its start
// to the first 200 on /healthz: it starts the binary RUNS times on the given
// database (each time on a free port, the process stopped after), polling
// every millisecond, and prints each time and the median. It is a benchmark
// tool, not part of Hookpost.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "", "the hookpost binary")
	db := flag.String("db", "", "the SQLite file to serve")
	runs := flag.Int("runs", 10, "how many starts")
	flag.Parse()
	if *bin == "" || *db == "" {
		fmt.Fprintln(os.Stderr, "coldstart: -bin and -db are needed")
		os.Exit(2)
	}
	var times []time.Duration
	for range *runs {
		d, err := once(*bin, *db)
		if err != nil {
			fmt.Fprintln(os.Stderr, "coldstart:", err)
			os.Exit(1)
		}
		times = append(times, d)
		fmt.Printf("  %.1f ms\n", float64(d.Microseconds())/1000)
	}
	slices.Sort(times)
	fmt.Printf("first 200 on /healthz: median %.1f ms, min %.1f ms, max %.1f ms over %d starts\n",
		ms(times[len(times)/2]), ms(times[0]), ms(times[len(times)-1]), len(times))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func once(bin, db string) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	client := &http.Client{Timeout: time.Second}
	cmd := exec.Command(bin, "serve", "--db", db, "--addr", addr)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	for time.Since(start) < 30*time.Second {
		res, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Since(start), nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("no 200 on /healthz within 30 s")
}
