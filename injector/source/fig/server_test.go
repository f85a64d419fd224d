package fig

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/fig-injector/fig-injector/injector/secret"
)

// testSecret is the secret of the contract's Fixture B.
const testSecret = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"

// wire records the plaintext bytes a client writes, one buffer per
// connection. Recording on the client side (inside TLS) shows header names
// exactly as sent; a Go server would canonicalise them.
type wire struct {
	mu    sync.Mutex
	conns []*bytes.Buffer
}

type recordingConn struct {
	net.Conn
	buf *bytes.Buffer
	mu  *sync.Mutex
}

func (c recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.buf.Write(p)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// rawRequest is one request as written on the wire.
type rawRequest struct {
	line    string   // request line
	headers []string // "Name: value" lines, names as sent
	body    []byte   // decompressed when gzip
	gzipped bool
}

func (r rawRequest) header(name string) (string, bool) {
	for _, h := range r.headers {
		if k, v, ok := strings.Cut(h, ": "); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// requests returns the requests written so far (keep-alives are off, so
// each connection carries one).
func (w *wire) requests(t *testing.T) []rawRequest {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []rawRequest
	for _, b := range w.conns {
		if b.Len() == 0 {
			continue
		}
		head, body, ok := bytes.Cut(b.Bytes(), []byte("\r\n\r\n"))
		if !ok {
			t.Fatalf("incomplete request on the wire: %q", b.String())
		}
		lines := strings.Split(string(head), "\r\n")
		r := rawRequest{line: lines[0], headers: lines[1:], body: body}
		if v, _ := r.header("Content-Encoding"); v == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if r.body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
			r.gzipped = true
		}
		out = append(out, r)
	}
	return out
}

// figServer is an httptest TLS server plus a client that trusts it and
// records what it sends.
type figServer struct {
	*httptest.Server
	http *http.Client
	wire *wire
}

func newFigServer(t *testing.T, h http.Handler) *figServer {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected in some tests
	ts.StartTLS()
	t.Cleanup(ts.Close)
	w := &wire{}
	tr := ts.Client().Transport.(*http.Transport).Clone()
	tlsCfg := tr.TLSClientConfig.Clone()
	tr.DisableKeepAlives = true
	tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := tls.Dialer{Config: tlsCfg}
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		buf := &bytes.Buffer{}
		w.mu.Lock()
		w.conns = append(w.conns, buf)
		w.mu.Unlock()
		return recordingConn{Conn: conn, buf: buf, mu: &w.mu}, nil
	}
	return &figServer{Server: ts, http: &http.Client{Transport: tr}, wire: w}
}

// staticSecret returns a Secret func for s.
func staticSecret(s string) func(context.Context) (secret.Value, error) {
	return func(context.Context) (secret.Value, error) { return secret.New(s), nil }
}

// newTestClient makes a Client for MyApp against srv.
func newTestClient(t *testing.T, srv *figServer, edit func(*Options)) *Client {
	t.Helper()
	opts := Options{
		URIs:       []string{srv.URL},
		ClientName: "MyApp",
		Secret:     staticSecret(testSecret),
		HTTPClient: srv.http,
		Hostname:   "test-host",
	}
	if edit != nil {
		edit(&opts)
	}
	c, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// respond answers every request with status and body.
func respond(status int, body string, header map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}
