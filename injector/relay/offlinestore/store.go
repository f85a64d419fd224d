// Package offlinestore keeps the relay's offline copies (wire.OfflinePath):
// one Kubernetes Secret per Fig client and instance in the relay's own
// namespace, holding the ciphertext the agent uploaded and nothing the relay
// could decrypt. Secrets rather than a volume: every replica sees the same
// copies, they survive a relay restart, and etcd encryption at rest and the
// namespace's RBAC apply to them as to any Secret.
//
// A copy's Secret:
//
//	name:        fig-offline-<first 32 hex digits of sha256(client "\n" instance)>
//	type:        fig-injector.io/offline-copy
//	labels:      fig-injector.io/offline-copy: "true",
//	             app.kubernetes.io/managed-by: fig-injector-relay
//	annotations: fig-injector.io/client-name, fig-injector.io/instance (names
//	             only), fig-injector.io/uploaded-by (namespace/pod),
//	             fig-injector.io/uploaded-at (RFC 3339, for Expire)
//	data:        ciphertext: the Base64 text the agent sent
//
// The name is a hash because Fig client names may hold characters a
// Kubernetes name may not; the annotations let an operator see whose copy
// it is and are checked on every read, so a hash collision reads as no copy.
package offlinestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/fig-injector/fig-injector/injector/clock"
	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/injector/kubeconfig"
)

// Names on a copy's Secret.
const (
	// Label marks every copy: kubectl get secrets -l fig-injector.io/offline-copy
	Label           = "fig-injector.io/offline-copy"
	SecretType      = corev1.SecretType("fig-injector.io/offline-copy")
	DataKey         = "ciphertext"
	UploadedByAnnot = "fig-injector.io/uploaded-by"
	UploadedAtAnnot = "fig-injector.io/uploaded-at"
	managedByLabel  = "app.kubernetes.io/managed-by"
	managedBy       = "fig-injector-relay"
	namePrefix      = "fig-offline-"
)

// ErrNotFound says the relay holds no copy for the client and instance.
var ErrNotFound = errors.New("no offline copy")

// API is the part of the Kubernetes API the store calls: Secrets in one
// namespace (RBAC: get, list, create, update, delete secrets in the relay's
// namespace). Errors are the API's (apierrors).
type API interface {
	Get(ctx context.Context, name string) (*corev1.Secret, error)
	// List returns the Secrets that match a label selector.
	List(ctx context.Context, labelSelector string) ([]corev1.Secret, error)
	Create(ctx context.Context, s *corev1.Secret) error
	Update(ctx context.Context, s *corev1.Secret) error
	// Delete deletes name; with a resourceVersion, only that version of
	// it (else Conflict).
	Delete(ctx context.Context, name, resourceVersion string) error
}

// Key names one copy.
type Key struct{ Client, Instance string }

// SecretName is the name of k's Secret.
func SecretName(k Key) string {
	sum := sha256.Sum256([]byte(k.Client + "\n" + k.Instance))
	return namePrefix + hex.EncodeToString(sum[:16])
}

// Store keeps copies as Secrets through API.
type Store struct {
	API API
	// Clock stamps each upload (UploadedAtAnnot); nil is the real clock.
	Clock clock.Clock
}

func (s *Store) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}

// New returns the store for the Secrets of namespace on cfg's API server.
func New(cfg *rest.Config, namespace string) (*Store, error) {
	if namespace == "" {
		return nil, errors.New("offline copies: the relay's namespace is required; fix: pass --offline-namespace (the chart passes the release namespace)")
	}
	rc, err := kubeconfig.RESTClient(cfg, corev1.SchemeGroupVersion, corev1.AddToScheme)
	if err != nil {
		return nil, err
	}
	return &Store{API: restSecrets{rc: rc, namespace: namespace}}, nil
}

// Get returns k's ciphertext, or ErrNotFound.
func (s *Store) Get(ctx context.Context, k Key) ([]byte, error) {
	sec, err := s.API.Get(ctx, SecretName(k))
	switch {
	case apierrors.IsNotFound(err):
		return nil, ErrNotFound
	case err != nil:
		return nil, fmt.Errorf("read the offline copy's Secret: %w", err)
	case !owns(sec, k) || len(sec.Data[DataKey]) == 0:
		return nil, ErrNotFound
	}
	return sec.Data[DataKey], nil
}

// Put stores ciphertext as k's copy, replacing any other: the last upload
// wins (every pod of a client uploads the same settings). uploadedBy is
// "namespace/pod", kept for operators.
func (s *Store) Put(ctx context.Context, k Key, ciphertext []byte, uploadedBy string) error {
	for attempt := 0; ; attempt++ {
		err := s.put(ctx, k, ciphertext, uploadedBy)
		if !apierrors.IsConflict(err) && !apierrors.IsAlreadyExists(err) || attempt == 2 {
			if err != nil {
				return fmt.Errorf("write the offline copy's Secret: %w", err)
			}
			return nil
		}
	}
}

func (s *Store) put(ctx context.Context, k Key, ciphertext []byte, uploadedBy string) error {
	name := SecretName(k)
	old, err := s.API.Get(ctx, name)
	if apierrors.IsNotFound(err) {
		return s.API.Create(ctx, secretFor(k, name, ciphertext, uploadedBy, s.now(), ""))
	}
	if err != nil {
		return err
	}
	if !owns(old, k) {
		return fmt.Errorf("the Secret %s exists and is not this client's offline copy; fix: delete or rename it", name)
	}
	return s.API.Update(ctx, secretFor(k, name, ciphertext, uploadedBy, s.now(), old.ResourceVersion))
}

// Delete removes k's copy; none is not an error.
func (s *Store) Delete(ctx context.Context, k Key) error {
	name := SecretName(k)
	sec, err := s.API.Get(ctx, name)
	if apierrors.IsNotFound(err) || err == nil && !owns(sec, k) {
		return nil
	}
	if err == nil {
		err = s.API.Delete(ctx, name, "")
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete the offline copy's Secret: %w", err)
	}
	return nil
}

func secretFor(k Key, name string, ciphertext []byte, uploadedBy string, at time.Time, resourceVersion string) *corev1.Secret {
	annotations := map[string]string{inject.ClientNameAnnotation: k.Client, UploadedByAnnot: uploadedBy,
		UploadedAtAnnot: at.UTC().Format(time.RFC3339)}
	if k.Instance != "" {
		annotations[inject.InstanceAnnotation] = k.Instance
	}
	return &corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: resourceVersion,
			Labels: ownLabels, Annotations: annotations},
		Type: SecretType,
		Data: map[string][]byte{DataKey: ciphertext},
	}
}

// ownLabels are on every copy; Expire lists by them.
var ownLabels = map[string]string{Label: "true", managedByLabel: managedBy}

// owns reports whether sec is k's copy (and not a hash collision or a
// Secret someone else made under that name).
func owns(sec *corev1.Secret, k Key) bool {
	a := sec.Annotations
	return sec.Type == SecretType && sec.Labels[Label] == "true" &&
		a[inject.ClientNameAnnotation] == k.Client && a[inject.InstanceAnnotation] == k.Instance
}

// restSecrets is API over one REST client (no clientset: binary size, see
// kubeconfig.RESTClient).
type restSecrets struct {
	rc        rest.Interface
	namespace string
}

func (r restSecrets) Get(ctx context.Context, name string) (*corev1.Secret, error) {
	var s corev1.Secret
	if err := r.rc.Get().Namespace(r.namespace).Resource("secrets").Name(name).Do(ctx).Into(&s); err != nil {
		return nil, err
	}
	return &s, nil
}

func (r restSecrets) List(ctx context.Context, labelSelector string) ([]corev1.Secret, error) {
	var l corev1.SecretList
	if err := r.rc.Get().Namespace(r.namespace).Resource("secrets").Param("labelSelector", labelSelector).Do(ctx).Into(&l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (r restSecrets) Create(ctx context.Context, s *corev1.Secret) error {
	return r.rc.Post().Namespace(r.namespace).Resource("secrets").Body(s).Do(ctx).Error()
}

func (r restSecrets) Update(ctx context.Context, s *corev1.Secret) error {
	return r.rc.Put().Namespace(r.namespace).Resource("secrets").Name(s.Name).Body(s).Do(ctx).Error()
}

func (r restSecrets) Delete(ctx context.Context, name, resourceVersion string) error {
	opts := &metav1.DeleteOptions{}
	if resourceVersion != "" {
		opts.Preconditions = &metav1.Preconditions{ResourceVersion: &resourceVersion}
	}
	return r.rc.Delete().Namespace(r.namespace).Resource("secrets").Name(name).Body(opts).Do(ctx).Error()
}
