package transport_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fig-injector/fig-injector/injector/transport"
)

// http.ProxyFromEnvironment reads the environment once per process, so the
// proxy test runs in a child process started with the variables set.
const proxyChildEnv = "TRANSPORT_PROXY_TEST_CHILD"

// TestProxyFromEnvironment checks that HTTPS_PROXY is used for a real host
// name and that NO_PROXY exempts another, in a child process whose
// environment names a local CONNECT proxy.
func TestProxyFromEnvironment(t *testing.T) {
	if os.Getenv(proxyChildEnv) != "" {
		proxyChild(t)
		return
	}
	ca, caFile := testCA(t)
	target := serve(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(r.Host)) }), false, nil)
	proxy := newConnectProxy(t, target.Listener.Addr().String())

	cmd := exec.Command(os.Args[0], "-test.run=^TestProxyFromEnvironment$", "-test.v")
	cmd.Env = append(os.Environ(),
		proxyChildEnv+"=1",
		"TRANSPORT_TEST_CA="+caFile,
		"TRANSPORT_TEST_TARGET="+target.Listener.Addr().String(),
		"HTTPS_PROXY=http://"+proxy.addr,
		"NO_PROXY=direct-kv.vault.azure.net",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if diff := cmp.Diff([]string{"orders-kv.vault.azure.net:443"}, proxy.connects()); diff != "" {
		t.Errorf("CONNECTs seen by the proxy (-want +got):\n%s\nchild output:\n%s", diff, out)
	}
}

// proxyChild runs in the child: one request through the proxy, one direct.
func proxyChild(t *testing.T) {
	target := os.Getenv("TRANSPORT_TEST_TARGET")
	var direct atomic.Bool
	hc, err := transport.New(transport.Options{
		CAFile: os.Getenv("TRANSPORT_TEST_CA"),
		// Only NO_PROXY hosts are dialled by name; proxied ones dial the proxy.
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if strings.Split(addr, ":")[0] == "direct-kv.vault.azure.net" {
				direct.Store(true)
				return routeTo(target)(ctx, network, addr)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testContext(t)
	for _, u := range []string{"https://orders-kv.vault.azure.net/secrets", "https://direct-kv.vault.azure.net/"} {
		if _, body, err := get(ctx, hc, u, nil); err != nil {
			t.Fatalf("GET %s: %v", u, err)
		} else {
			fmt.Println("GET", u, "->", body)
		}
	}
	if !direct.Load() {
		t.Error("the NO_PROXY host was not dialled directly")
	}
}

// connectProxy is a minimal HTTP CONNECT proxy that tunnels every CONNECT to
// one fixed address and records the requested authorities.
type connectProxy struct {
	addr string
	mu   sync.Mutex
	seen []string
}

func newConnectProxy(t *testing.T, upstream string) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	p := &connectProxy{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.handle(c, upstream)
		}
	}()
	return p
}

func (p *connectProxy) handle(c net.Conn, upstream string) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		_, _ = io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		return
	}
	p.mu.Lock()
	p.seen = append(p.seen, req.Host)
	p.mu.Unlock()
	up, err := net.Dial("tcp", upstream)
	if err != nil {
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	_, _ = io.WriteString(c, "HTTP/1.1 200 Connection Established\r\n\r\n")
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, br); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

func (p *connectProxy) connects() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}
