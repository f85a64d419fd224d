package webhook

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ConfigMapGetter reads a ConfigMap of the pod's namespace: the whole agent
// config named by fig-injector.io/config-configmap, which the webhook checks
// against the allowlists before admitting the pod. It blocks for one API
// request at most and honours ctx. A missing ConfigMap is an error for which
// apierrors.IsNotFound is true.
type ConfigMapGetter interface {
	GetConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
}

// apiConfigMaps reads ConfigMaps with a core/v1 REST client: the webhook
// needs one verb on one resource, not a whole clientset.
type apiConfigMaps struct{ rc rest.Interface }

// NewConfigMapGetter returns a getter for the API server in kubeconfig, or,
// when kubeconfig is "", the in-cluster service account's API server.
func NewConfigMapGetter(kubeconfig string) (ConfigMapGetter, error) {
	var cfg *rest.Config
	var err error
	if kubeconfig == "" {
		cfg, err = rest.InClusterConfig()
	} else {
		cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig)
	}
	if err != nil {
		return nil, fmt.Errorf("kubernetes client config: %w", err)
	}
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("kubernetes scheme: %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.APIPath = "/api"
	cfg.GroupVersion = &corev1.SchemeGroupVersion
	cfg.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	cfg.UserAgent = "fig-injector-webhook"
	rc, err := rest.RESTClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return apiConfigMaps{rc: rc}, nil
}

func (a apiConfigMaps) GetConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	var cm corev1.ConfigMap
	if err := a.rc.Get().Namespace(namespace).Resource("configmaps").Name(name).Do(ctx).Into(&cm); err != nil {
		return nil, err
	}
	return &cm, nil
}
