package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// runHealth is `hokm health [--ready]`: the role's own liveness or
// readiness from its ops listener (HOKM_OPS_ADDR, with HOKM_OPS_TOKEN when
// set), for a container's health check or a Kubernetes exec probe — where
// the image has no shell or HTTP client, and an httpGet probe could not
// carry the token from a secret. Exit 0 when it answers 200 (ready or
// degraded), 1 otherwise.
func runHealth(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ready := fs.Bool("ready", false, "ask /readyz (the role can serve) instead of /healthz (the process runs)")
	timeout := fs.Duration("timeout", 2*time.Second, "give up after this long")
	if fs.Parse(args) != nil || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: hokm health [--ready] [--timeout D]")
		return 2
	}
	cfg, ok := loadConfig(stderr)
	if !ok {
		return 2
	}
	if cfg.OpsAddr == "off" {
		fmt.Fprintln(stderr, "hokm health: the ops listener is off (HOKM_OPS_ADDR=off)")
		return 2
	}
	host, port, err := net.SplitHostPort(cfg.OpsAddr)
	if err != nil {
		fmt.Fprintf(stderr, "hokm health: HOKM_OPS_ADDR: %v\n", err)
		return 2
	}
	if host == "" || host == "0.0.0.0" || host == "::" { // listening everywhere: ask over loopback
		host = "127.0.0.1"
	}
	path := "/healthz"
	if *ready {
		path = "/readyz"
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+path, nil)
	if err != nil {
		fmt.Fprintf(stderr, "hokm health: %v\n", err)
		return 2
	}
	if cfg.OpsToken != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.OpsToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "hokm health: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(stdout, "%s %s\n", resp.Status, body)
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}
