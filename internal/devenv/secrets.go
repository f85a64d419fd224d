package devenv

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fig-injector/fig-injector/injector/dev"
	"github.com/fig-injector/fig-injector/injector/relay/hook"
	"github.com/fig-injector/fig-injector/injector/relay/hub"
	"github.com/fig-injector/fig-injector/injector/relay/offlinestore"
	"github.com/fig-injector/fig-injector/injector/relay/server"
	"github.com/fig-injector/fig-injector/internal/testutil"
)

// Secrets stands for the Secrets of one namespace on the API server
// (relay/offlinestore.API; the real one is tested in test/e2e): objects
// kept in memory with resource versions, NotFound, AlreadyExists and
// Conflict as the API server answers them.
type Secrets struct {
	mu      sync.Mutex
	objects map[string]*corev1.Secret
	version int
}

var secretsResource = schema.GroupResource{Resource: "secrets"}

// Get implements offlinestore.API.
func (s *Secrets) Get(_ context.Context, name string) (*corev1.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[name]
	if !ok {
		return nil, apierrors.NewNotFound(secretsResource, name)
	}
	return o.DeepCopy(), nil
}

// Create implements offlinestore.API.
func (s *Secrets) Create(_ context.Context, o *corev1.Secret) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.objects[o.Name]; ok {
		return apierrors.NewAlreadyExists(secretsResource, o.Name)
	}
	s.store(o)
	return nil
}

// Update implements offlinestore.API.
func (s *Secrets) Update(_ context.Context, o *corev1.Secret) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.objects[o.Name]
	switch {
	case !ok:
		return apierrors.NewNotFound(secretsResource, o.Name)
	case o.ResourceVersion != old.ResourceVersion:
		return apierrors.NewConflict(secretsResource, o.Name, nil)
	}
	s.store(o)
	return nil
}

// List implements offlinestore.API.
func (s *Secrets) List(_ context.Context, labelSelector string) ([]corev1.Secret, error) {
	sel, err := labels.Parse(labelSelector)
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []corev1.Secret
	for _, o := range s.objects {
		if sel.Matches(labels.Set(o.Labels)) {
			out = append(out, *o.DeepCopy())
		}
	}
	return out, nil
}

// Delete implements offlinestore.API: with a resourceVersion, a precondition
// the API server checks (Conflict when the Secret changed).
func (s *Secrets) Delete(_ context.Context, name, resourceVersion string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[name]
	switch {
	case !ok:
		return apierrors.NewNotFound(secretsResource, name)
	case resourceVersion != "" && resourceVersion != o.ResourceVersion:
		return apierrors.NewConflict(secretsResource, name, nil)
	}
	delete(s.objects, name)
	return nil
}

// All returns a copy of every Secret held.
func (s *Secrets) All() []*corev1.Secret {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*corev1.Secret
	for _, o := range s.objects {
		out = append(out, o.DeepCopy())
	}
	return out
}

func (s *Secrets) store(o *corev1.Secret) {
	if s.objects == nil {
		s.objects = map[string]*corev1.Secret{}
	}
	s.version++
	c := o.DeepCopy()
	c.ResourceVersion = strconv.Itoa(s.version)
	s.objects[o.Name] = c
}

// OfflineRelay starts the relay in-process over TLS (a certificate for
// 127.0.0.1 from env's CA, which agents configured by dev trust), keeping
// offline copies in the returned Secrets and authorising every RelayPod
// token; it stops when the test ends. Agents reach it at the returned URL
// with RelayTokenFile.
func OfflineRelay(tb testing.TB, env *dev.Env) (url string, secrets *Secrets) {
	tb.Helper()
	secrets = &Secrets{}
	log := slog.New(slog.DiscardHandler)
	srv := httptest.NewUnstartedServer(server.New(server.Options{Hub: hub.New(nil), Authorizer: RelayPod{}, Log: log,
		Offline: &offlinestore.Store{API: secrets},
		Hooks:   &hook.Handler{Verifier: testutil.HookVerifier(tb, "offline-relay-hook-secret-0123456789"), Log: log}}))
	tlsCfg, err := env.CA.TLSConfig("127.0.0.1")
	if err != nil {
		tb.Fatal(err)
	}
	srv.TLS = tlsCfg
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	return srv.URL, secrets
}
