// Package auth decides who may subscribe to the relay and to what.
//
// Authentication: the subscriber sends a projected service-account token
// whose audience is the relay's own (the chart projects it with
// `audience: <relay audience>`), so a token meant for the API server, Azure
// or another service is useless here and one of ours is useless there. The
// relay asks the Kubernetes API to verify it (TokenReview, with the relay's
// audience in spec.audiences); the API server also checks that the pod the
// token is bound to still exists, but may answer from its cache of reviews
// for a few seconds after the pod is gone, so the relay reads the pod too:
// gone (404) or replaced (another UID) refuses. Nothing is cached here:
// every subscription and offline copy request is reviewed afresh, and an
// open stream is reviewed again periodically (server.DefaultReauthorize).
//
// Authorisation: a projected token is bound to its pod, and the review
// returns the pod's name and UID. The relay reads that pod and allows only
// the Fig client, instance and vaults its configuration names: its
// fig-injector.io annotations (client-name, instance, keyvault and a Key
// Vault client-secret reference) or, for a pod configured by the ConfigMap
// of fig-injector.io/config-configmap, that ConfigMap's agent config
// (fig.clientName, fig.instance, keyVaults[].url, fig.clientSecret.keyVault),
// read at each subscription, so an edit the agent follows is followed here
// too. Either gives one set of claims, checked one way. Other vaults asked
// for are left out of the subscription, so the agent keeps polling them
// itself.
package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"

	"github.com/fig-injector/fig-injector/injector/config"
	"github.com/fig-injector/fig-injector/injector/inject"
	"github.com/fig-injector/fig-injector/injector/kubeconfig"
	"github.com/fig-injector/fig-injector/injector/relay/wire"
)

// Extra keys the API server sets for a pod-bound service-account token.
const (
	podNameExtra = "authentication.kubernetes.io/pod-name"
	podUIDExtra  = "authentication.kubernetes.io/pod-uid"
	saPrefix     = "system:serviceaccount:"
)

// ErrUnauthenticated and ErrForbidden classify refusals (401 and 403).
var (
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrForbidden       = errors.New("forbidden")
)

// Identity is the pod a token belongs to.
type Identity struct {
	Namespace, ServiceAccount, Pod, PodUID string
}

// Authorizer authenticates a subscriber's token and narrows its
// subscription to what its pod may hear about. It returns the allowed
// subscription (vaults not allowed are dropped) or an error that errors.Is
// ErrUnauthenticated or ErrForbidden. Errors never contain the token.
type Authorizer interface {
	Authorize(ctx context.Context, token string, want wire.Subscription) (Identity, wire.Subscription, error)
}

// Kubernetes is the Authorizer backed by the Kubernetes API: TokenReview
// (RBAC: create tokenreviews), a pod get (RBAC: get pods) and, for pods
// configured by a ConfigMap, a ConfigMap get (RBAC: get configmaps in the
// pods' namespaces).
type Kubernetes struct {
	API      API
	Audience string
	// Peer is the relay's own ServiceAccount ("namespace/name"): the only
	// identity AuthenticatePeer accepts.
	Peer string
}

// API is the part of the Kubernetes API the Authorizer calls.
type API interface {
	CreateTokenReview(ctx context.Context, tr *authnv1.TokenReview) (*authnv1.TokenReview, error)
	GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error)
	GetConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
}

// AuthenticatePeer checks that token belongs to another replica of the
// relay: a token for the relay's audience of the relay's own
// ServiceAccount. The error errors.Is ErrUnauthenticated or ErrForbidden.
func (k *Kubernetes) AuthenticatePeer(ctx context.Context, token string) error {
	id, err := k.review(ctx, token)
	if err != nil {
		return err
	}
	if k.Peer == "" || id.Namespace+"/"+id.ServiceAccount != k.Peer {
		return fmt.Errorf("%w: %s/%s is not the relay's service account", ErrForbidden, id.Namespace, id.ServiceAccount)
	}
	return nil
}

// NewKubernetes returns the Authorizer for the API server of cfg.
func NewKubernetes(cfg *rest.Config, audience string) (*Kubernetes, error) {
	authn, err := kubeconfig.RESTClient(cfg, authnv1.SchemeGroupVersion, authnv1.AddToScheme)
	if err != nil {
		return nil, err
	}
	core, err := kubeconfig.RESTClient(cfg, corev1.SchemeGroupVersion, corev1.AddToScheme)
	if err != nil {
		return nil, err
	}
	return &Kubernetes{API: restAPI{authn: authn, core: core}, Audience: audience}, nil
}

// restAPI is API over one REST client per group version: the relay needs
// two verbs, not a clientset (binary size: see kubeconfig.RESTClient).
type restAPI struct{ authn, core rest.Interface }

func (a restAPI) CreateTokenReview(ctx context.Context, tr *authnv1.TokenReview) (*authnv1.TokenReview, error) {
	var out authnv1.TokenReview
	if err := a.authn.Post().Resource("tokenreviews").Body(tr).Do(ctx).Into(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (a restAPI) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	var pod corev1.Pod
	if err := a.core.Get().Namespace(namespace).Resource("pods").Name(name).Do(ctx).Into(&pod); err != nil {
		return nil, err
	}
	return &pod, nil
}

func (a restAPI) GetConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	var cm corev1.ConfigMap
	if err := a.core.Get().Namespace(namespace).Resource("configmaps").Name(name).Do(ctx).Into(&cm); err != nil {
		return nil, err
	}
	return &cm, nil
}

// Authorize implements Authorizer.
func (k *Kubernetes) Authorize(ctx context.Context, token string, want wire.Subscription) (Identity, wire.Subscription, error) {
	id, err := k.review(ctx, token)
	if err != nil {
		return Identity{}, wire.Subscription{}, err
	}
	pod, err := k.API.GetPod(ctx, id.Namespace, id.Pod)
	switch {
	case apierrors.IsNotFound(err):
		// The API server may still accept the token for a few seconds
		// (it caches token reviews); the pod read does not.
		return id, wire.Subscription{}, fmt.Errorf("%w: pod %s/%s no longer exists", ErrUnauthenticated, id.Namespace, id.Pod)
	case apierrors.IsForbidden(err):
		return id, wire.Subscription{}, fmt.Errorf("%w: reading pod %s/%s: %v", ErrForbidden, id.Namespace, id.Pod, err)
	case err != nil:
		return id, wire.Subscription{}, fmt.Errorf("reading pod %s/%s: %w", id.Namespace, id.Pod, err)
	}
	if string(pod.UID) != id.PodUID {
		return id, wire.Subscription{}, fmt.Errorf("%w: pod %s/%s was replaced since the token was issued", ErrUnauthenticated, id.Namespace, id.Pod)
	}
	c, err := k.claimsOf(ctx, pod)
	if err != nil {
		return id, wire.Subscription{}, err
	}
	got, err := c.allow(want)
	if err != nil {
		return id, wire.Subscription{}, fmt.Errorf("%w: pod %s/%s %v", ErrForbidden, pod.Namespace, pod.Name, err)
	}
	return id, got, nil
}

// Probe makes one TokenReview of a token that cannot be valid: nil when the
// API server answered (the relay can verify subscribers), else why not
// (unreachable, or RBAC lacks create on tokenreviews). The relay's /readyz
// uses it.
func (k *Kubernetes) Probe(ctx context.Context) error {
	_, err := k.API.CreateTokenReview(ctx, &authnv1.TokenReview{
		Spec: authnv1.TokenReviewSpec{Token: "fig-injector-relay-readiness-probe", Audiences: []string{k.Audience}},
	})
	return err
}

// review verifies the token with a TokenReview for the relay's audience.
func (k *Kubernetes) review(ctx context.Context, token string) (Identity, error) {
	if strings.TrimSpace(token) == "" {
		return Identity{}, fmt.Errorf("%w: no bearer token", ErrUnauthenticated)
	}
	tr, err := k.API.CreateTokenReview(ctx, &authnv1.TokenReview{
		Spec: authnv1.TokenReviewSpec{Token: token, Audiences: []string{k.Audience}},
	})
	if err != nil {
		// The API error names the review, not the token.
		return Identity{}, fmt.Errorf("token review failed: %w", err)
	}
	st := tr.Status
	switch {
	case !st.Authenticated:
		return Identity{}, fmt.Errorf("%w: token not valid for audience %q", ErrUnauthenticated, k.Audience)
	case !slices.Contains(st.Audiences, k.Audience):
		return Identity{}, fmt.Errorf("%w: token not issued for audience %q", ErrUnauthenticated, k.Audience)
	}
	ns, sa, ok := strings.Cut(strings.TrimPrefix(st.User.Username, saPrefix), ":")
	if !strings.HasPrefix(st.User.Username, saPrefix) || !ok {
		return Identity{}, fmt.Errorf("%w: %q is not a service account", ErrUnauthenticated, st.User.Username)
	}
	id := Identity{Namespace: ns, ServiceAccount: sa, Pod: first(st.User.Extra[podNameExtra]), PodUID: first(st.User.Extra[podUIDExtra])}
	if id.Pod == "" || id.PodUID == "" {
		return id, fmt.Errorf("%w: the token of %s/%s is not bound to a pod; fix: mount a projected serviceAccountToken volume (the webhook does)", ErrUnauthenticated, ns, sa)
	}
	return id, nil
}

func first(v authnv1.ExtraValue) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// claims is what a pod's configuration says it reads.
type claims struct {
	client, instance string
	vaults           []string // VaultKeys
	source           string   // where they come from, for refusals
}

// claimsOf reads a pod's claims from its annotations, or from the
// ConfigMap config they name.
func (k *Kubernetes) claimsOf(ctx context.Context, pod *corev1.Pod) (claims, error) {
	a := pod.Annotations
	ref, ok := a[inject.ConfigConfigMapAnnotation]
	if !ok {
		c := claims{client: a[inject.ClientNameAnnotation], instance: a[inject.InstanceAnnotation], source: "annotation " + inject.ClientNameAnnotation}
		for _, v := range []string{a[inject.KeyVaultAnnotation], a[inject.ClientSecretAnnotation]} {
			c.vaults = append(c.vaults, wire.VaultKey(v))
		}
		return c, nil
	}
	name, key, found := strings.Cut(ref, "/")
	if !found {
		key = inject.DefaultConfigKey
	}
	cm, err := k.API.GetConfigMap(ctx, pod.Namespace, name)
	if err != nil {
		return claims{}, fmt.Errorf("%w: reading the ConfigMap config %s/%s of pod %s: %v", ErrForbidden, pod.Namespace, name, pod.Name, err)
	}
	cfg, err := config.Parse([]byte(cm.Data[key]))
	if err != nil {
		return claims{}, fmt.Errorf("%w: the ConfigMap config %s/%s key %s of pod %s: %v", ErrForbidden, pod.Namespace, name, key, pod.Name, err)
	}
	return configClaims(cfg, "ConfigMap "+name+" key "+key), nil
}

// configClaims reads the claims of an agent config.
func configClaims(cfg *config.Config, source string) claims {
	c := claims{source: source + " (fig.clientName)"}
	if f := cfg.Fig; f != nil {
		c.client, c.instance = f.ClientName, f.Instance
		c.vaults = append(c.vaults, wire.VaultKey(f.ClientSecret.KeyVault))
	}
	for _, kv := range cfg.KeyVaults {
		c.vaults = append(c.vaults, wire.VaultKey(kv.URL))
	}
	return c
}

// allow narrows want to the claims: the client and instance must be the
// pod's own (else an error); vaults not among the pod's are dropped.
func (c claims) allow(want wire.Subscription) (wire.Subscription, error) {
	if want.Client != "" && c.client == "" {
		return wire.Subscription{}, fmt.Errorf("names no Fig client (%s)", c.source)
	}
	if want.Client != "" && want.Client != c.client {
		return wire.Subscription{}, fmt.Errorf("is Fig client %q, not %q", c.client, want.Client)
	}
	if want.Client != "" && strings.TrimSpace(want.Instance) != strings.TrimSpace(c.instance) {
		return wire.Subscription{}, fmt.Errorf("is not instance %q of %q", want.Instance, c.client)
	}
	out := wire.Subscription{Client: want.Client, Instance: want.Instance}
	for _, v := range want.Vaults {
		if k := wire.VaultKey(v); k != "" && slices.Contains(c.vaults, k) && !slices.Contains(out.Vaults, k) {
			out.Vaults = append(out.Vaults, k)
		}
	}
	return out, nil
}
