package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/fig-injector/fig-injector/injector/relay/offlinestore"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

// OfflineStore keeps the offline copies' ciphertext
// (relay/offlinestore.Store).
type OfflineStore interface {
	Get(ctx context.Context, k offlinestore.Key) ([]byte, error)
	Put(ctx context.Context, k offlinestore.Key, ciphertext []byte, uploadedBy string) error
	Delete(ctx context.Context, k offlinestore.Key) error
}

// serveOffline is wire.OfflinePath: a pod stores, reads or deletes the
// offline copy of its own Fig client and instance. The pod is authorised
// exactly as a subscription naming that client and instance is; the copy
// itself is never logged, only its size.
func (s *Server) serveOffline(w http.ResponseWriter, r *http.Request) {
	op := strings.ToLower(r.Method)
	switch r.Method {
	case http.MethodGet, http.MethodPut, http.MethodDelete:
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if s.opts.Offline == nil {
		s.offlineRefused(w, op, http.StatusNotImplemented, "offline copies are not enabled on this relay; fix: set relay.offline.enabled in the chart (the relay's --offline-namespace)")
		return
	}
	key := offlinestore.Key{Client: r.URL.Query().Get("client"), Instance: strings.TrimSpace(r.URL.Query().Get("instance"))}
	if key.Client == "" {
		s.offlineRefused(w, op, http.StatusBadRequest, "the query names no client; fix: ?client=<Fig client name>[&instance=<instance>]")
		return
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	id, _, err := s.opts.Authorizer.Authorize(r.Context(), strings.TrimSpace(token), wire.Subscription{Client: key.Client, Instance: key.Instance})
	if err != nil {
		status := refusalStatus(err)
		s.log.Warn("offline copy refused", "op", op, "status", status, "namespace", id.Namespace, "pod", id.Pod, "reason", err.Error())
		s.offlineRefused(w, op, status, err.Error())
		return
	}
	log := s.log.With("op", op, "namespace", id.Namespace, "pod", id.Pod, "client", key.Client, "instance", key.Instance)
	switch r.Method {
	case http.MethodGet:
		data, err := s.opts.Offline.Get(r.Context(), key)
		if errors.Is(err, offlinestore.ErrNotFound) {
			s.offlineRefused(w, op, http.StatusNotFound, "the relay holds no offline copy of this client")
			return
		}
		if s.offlineFailed(w, op, log, err) {
			return
		}
		w.Header().Set("Content-Type", wire.OfflineContentType)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(data)
		log.Info("offline copy handed out", "bytes", len(data))
	case http.MethodPut:
		data, status, reason := readCopy(w, r)
		if status != 0 {
			s.offlineRefused(w, op, status, reason)
			return
		}
		if s.offlineFailed(w, op, log, s.opts.Offline.Put(r.Context(), key, data, id.Namespace+"/"+id.Pod)) {
			return
		}
		w.WriteHeader(http.StatusNoContent)
		log.Info("offline copy stored", "bytes", len(data))
	case http.MethodDelete:
		if s.offlineFailed(w, op, log, s.opts.Offline.Delete(r.Context(), key)) {
			return
		}
		w.WriteHeader(http.StatusNoContent)
		log.Info("offline copy deleted")
	}
	s.opts.Metrics.OfflineCopy(op, "ok")
}

// readCopy reads a PUT's body: non-empty Base64 of at most
// wire.MaxOfflineCopy bytes. Checking the form keeps a client that would
// send plaintext by mistake (JSON is not Base64) from storing it.
func readCopy(w http.ResponseWriter, r *http.Request) (data []byte, status int, reason string) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wire.MaxOfflineCopy))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("the offline copy is larger than %d KiB, more than a Secret holds; the pod starts only with Fig up", wire.MaxOfflineCopy>>10)
	case err != nil:
		return nil, http.StatusBadRequest, "reading the offline copy: " + err.Error()
	case len(data) == 0:
		return nil, http.StatusBadRequest, "the offline copy is empty"
	}
	if _, err := base64.StdEncoding.DecodeString(string(data)); err != nil {
		return nil, http.StatusBadRequest, "the offline copy is not Base64 ciphertext; the relay stores only encrypted copies"
	}
	return data, 0, ""
}

func (s *Server) offlineRefused(w http.ResponseWriter, op string, status int, reason string) {
	s.opts.Metrics.OfflineCopy(op, strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_")))
	http.Error(w, reason, status)
}

// offlineFailed answers 503 for a store error (the API server), logged
// with the error, which names the Secret and never its data.
func (s *Server) offlineFailed(w http.ResponseWriter, op string, log *slog.Logger, err error) bool {
	if err == nil {
		return false
	}
	log.Error("offline copy store failed", "error", err.Error())
	s.opts.Metrics.OfflineCopy(op, "error")
	http.Error(w, "the relay could not reach its store of offline copies; retry later", http.StatusServiceUnavailable)
	return true
}
