// Package certreload serves a TLS key pair from two files and re-reads
// them when they change. The webhook and the relay both use it.
package certreload

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Reloader serves the key pair in two files and re-reads them when they
// change, so a renewed certificate (cert-manager, or a Helm upgrade that
// rotates the Secret) is used without a restart. Kubernetes updates a
// mounted Secret by swapping a symlink, so the files are compared by
// modification time, size and identity at each TLS handshake (one stat per
// file; the API server keeps connections alive). A half-written pair that
// does not load keeps the previous certificate in use until the next
// handshake finds a loadable one.
type Reloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu    sync.Mutex
	cert  *tls.Certificate
	stamp [2]fileStamp
}

type fileStamp struct {
	mod  time.Time
	size int64
	info os.FileInfo
}

func (a fileStamp) same(b fileStamp) bool {
	return a.info != nil && b.info != nil && a.mod.Equal(b.mod) && a.size == b.size && os.SameFile(a.info, b.info)
}

// New loads the pair once, failing if it cannot.
func New(certFile, keyFile string, log *slog.Logger) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile, log: log}
	if _, err := r.GetCertificate(nil); err != nil {
		return nil, err
	}
	return r, nil
}

// GetCertificate is tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	stamp := [2]fileStamp{statFile(r.certFile), statFile(r.keyFile)}
	if r.cert != nil && stamp[0].same(r.stamp[0]) && stamp[1].same(r.stamp[1]) {
		return r.cert, nil
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		if r.cert != nil {
			r.log.Warn("tls key pair changed but does not load; serving the previous one", "cert", r.certFile, "error", err)
			return r.cert, nil
		}
		return nil, fmt.Errorf("load tls key pair: %w", err)
	}
	if r.cert != nil {
		r.log.Info("tls key pair reloaded", "cert", r.certFile)
	}
	r.cert, r.stamp = &cert, stamp
	return r.cert, nil
}

func statFile(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size(), info: fi}
}
