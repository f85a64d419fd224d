//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// cluster is etcd + kube-apiserver on loopback ports, owned by this
// process: started by startCluster, always stopped by stop.
type cluster struct {
	dir        string
	assets     string
	pki        *pki
	apiURL     string
	kubeconfig string
	rest       *rest.Config
	client     kubernetes.Interface
	procs      []*daemon // in start order; stopped in reverse
}

// daemon is a child process and its log.
type daemon struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan error // receives Wait's result once
}

// startCluster brings up etcd and kube-apiserver from the assets directory
// on free loopback ports and waits for /readyz. It refuses to talk to any
// server it did not start: the readiness check verifies the API server's
// certificate against this cluster's own CA, so a stale server holding the
// port (the pitfall of k8s-offline.md §3) fails the check instead of
// silently serving the tests.
func startCluster(ctx context.Context, assets, dir string) (c *cluster, err error) {
	c = &cluster{dir: dir, assets: assets}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	if c.pki, err = newPKI(filepath.Join(dir, "pki")); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	if err := c.start("etcd", filepath.Join(assets, "etcd"),
		"--name", "e2e", "--data-dir", filepath.Join(dir, "etcd-data"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "e2e="+peerURL, "--unsafe-no-fsync", "--listen-metrics-urls", "",
	); err != nil {
		return nil, err
	}
	p := c.pki
	if err := c.start("kube-apiserver", filepath.Join(assets, "kube-apiserver"),
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", strconv.Itoa(ports[2]),
		"--cert-dir", filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file", p.path("apiserver.crt"), "--tls-private-key-file", p.path("apiserver.key"),
		"--client-ca-file", p.path("ca.crt"), "--token-auth-file", p.path("tokens.csv"),
		"--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", p.path("sa.pub"), "--service-account-signing-key-file", p.path("sa.key"),
		"--service-cluster-ip-range", "10.0.0.0/24", "--allow-privileged=true",
		"--endpoint-reconciler-type", "none",
	); err != nil {
		return nil, err
	}
	c.apiURL = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	c.rest = &rest.Config{
		Host: c.apiURL, BearerToken: p.adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAFile: p.path("ca.crt")},
		QPS:             100, Burst: 200,
	}
	if c.client, err = kubernetes.NewForConfig(c.rest); err != nil {
		return nil, err
	}
	if err := c.writeKubeconfig(); err != nil {
		return nil, err
	}
	return c, c.waitReady(ctx, 60*time.Second)
}

func (c *cluster) start(name, bin string, args ...string) error {
	logPath := filepath.Join(c.dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The daemons die with the test binary even if it is killed (go test -timeout).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	d := &daemon{name: name, cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() { d.done <- cmd.Wait(); logFile.Close() }()
	c.procs = append(c.procs, d)
	return nil
}

// waitReady polls /readyz (verifying this cluster's CA) until it answers
// 200, a daemon exits, or the deadline passes.
func (c *cluster) waitReady(ctx context.Context, timeout time.Duration) error {
	pool := x509.NewCertPool()
	pool.AddCert(c.pki.caCert)
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.apiURL+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+c.pki.adminToken)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		for _, d := range c.procs {
			select {
			case err := <-d.done:
				d.done <- err
				tail, _ := os.ReadFile(d.log)
				if len(tail) > 3000 {
					tail = tail[len(tail)-3000:]
				}
				return fmt.Errorf("%s exited (%v) before the API server was ready:\n%s", d.name, err, tail)
			default:
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("API server not ready after %s (logs in %s)", timeout, c.dir)
		case <-tick.C:
		}
	}
}

// stop ends the daemons in reverse order: SIGTERM, then SIGKILL after 10 s.
// Wait reaps each child, so no zombie is left to look alive.
func (c *cluster) stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		d := c.procs[i]
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.done
		}
	}
	c.procs = nil
}

func (c *cluster) writeKubeconfig() error {
	c.kubeconfig = filepath.Join(c.dir, "kubeconfig")
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster: {server: %q, certificate-authority: %q}
users:
- name: e2e-admin
  user: {token: %q}
contexts:
- name: e2e
  context: {cluster: e2e, user: e2e-admin}
current-context: e2e
`, c.apiURL, c.pki.path("ca.crt"), c.pki.adminToken)
	return os.WriteFile(c.kubeconfig, []byte(kc), 0o600)
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

var errAssets = errors.New("kube-apiserver, etcd and helm not found: run hack/e2e.sh, or set KUBEBUILDER_ASSETS to the directory hack/k8s-assets.sh built")

// findAssets returns the directory with etcd, kube-apiserver and helm:
// KUBEBUILDER_ASSETS, else the cache directory hack/e2e.sh uses.
func findAssets() (string, error) {
	const versions = "k8s-v1.37.2-etcd-v3.7.3-helm-v4.3.1" // hack/e2e.sh's defaults
	dirs := []string{os.Getenv("KUBEBUILDER_ASSETS")}
	if c := os.Getenv("FIG_INJECTOR_CACHE"); c != "" {
		dirs = append(dirs, filepath.Join(c, versions))
	}
	if cache, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(cache, "fig-injector", versions))
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		ok := true
		for _, b := range []string{"etcd", "kube-apiserver", "helm"} {
			if _, err := os.Stat(filepath.Join(d, b)); err != nil {
				ok = false
			}
		}
		if ok {
			return d, nil
		}
	}
	return "", errAssets
}
