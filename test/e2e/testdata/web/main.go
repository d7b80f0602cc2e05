// Command web is the workload of the Kubernetes end-to-end test, built
// static into a one-file image. Run with no arguments it serves its host
// name (a pod's name) on :8080 until SIGTERM. Inside a pod it is also the
// test's client, since the image holds nothing else:
//
//	web get [-n N] [-timeout D] URL   fetch URL N times, each on a new connection, one body a line
//	web lookup NAME                   print NAME's addresses, or why it has none
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	var err error
	switch {
	case len(os.Args) == 1:
		err = serve()
	case os.Args[1] == "get":
		err = get(os.Args[2:])
	case os.Args[1] == "lookup" && len(os.Args) == 3:
		err = lookup(os.Args[2])
	default:
		err = errors.New("usage: web [get [-n N] [-timeout D] URL | lookup NAME]")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// serve answers every request with the host name until SIGTERM or SIGINT.
func serve() error {
	name, err := os.Hostname()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	srv := &http.Server{Addr: ":8080", ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, name) })}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// get fetches a URL n times and prints each body; the first failure
// ends it.
func get(args []string) error {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	n := fs.Int("n", 1, "requests")
	timeout := fs.Duration("timeout", 5*time.Second, "time limit of each request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: web get [-n N] [-timeout D] URL")
	}
	client := &http.Client{Timeout: *timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	for range *n {
		resp, err := client.Get(fs.Arg(0))
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		fmt.Println(strings.TrimSpace(string(body)))
	}
	return nil
}

// lookup resolves name with the pod's resolv.conf, and says NXDOMAIN for
// a name that does not exist.
func lookup(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return fmt.Errorf("NXDOMAIN: %w", err)
	}
	if err != nil {
		return err
	}
	for _, a := range addrs {
		fmt.Println(a)
	}
	return nil
}
