// Package kubeconfig finds the Kubernetes API server for the webhook and
// the relay (a kubeconfig file when one is named, else the in-cluster
// service account) and makes the small REST clients they talk to it with.
package kubeconfig

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Load returns the client config for the API server in path, or, when path
// is "", the in-cluster service account's API server.
func Load(path string) (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if path == "" {
		cfg, err = rest.InClusterConfig()
	} else {
		cfg, err = clientcmd.BuildConfigFromFlags("", path)
	}
	if err != nil {
		return nil, fmt.Errorf("kubernetes client config: %w", err)
	}
	return cfg, nil
}

// RESTClient returns a client for one API group version of the API server
// of cfg that decodes only the types addToScheme registers. A typed
// clientset would link client-go's scheme, which registers every API group
// of Kubernetes and nearly doubles the binary. cfg.UserAgent names the
// caller to the API server.
func RESTClient(cfg *rest.Config, gv schema.GroupVersion, addToScheme func(*runtime.Scheme) error) (*rest.RESTClient, error) {
	scheme := runtime.NewScheme()
	if err := addToScheme(scheme); err != nil {
		return nil, fmt.Errorf("kubernetes scheme %s: %w", gv, err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.APIPath = "/apis"
	if gv.Group == "" {
		cfg.APIPath = "/api"
	}
	cfg.GroupVersion = &gv
	cfg.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	rc, err := rest.RESTClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client %s: %w", gv, err)
	}
	return rc, nil
}
