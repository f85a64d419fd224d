package webhook

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"

	"github.com/fig-injector/fig-injector/injector/kubeconfig"
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

// NewConfigMapGetter returns a getter for the API server in kubeconfigPath,
// or, when it is "", the in-cluster service account's API server.
func NewConfigMapGetter(kubeconfigPath string) (ConfigMapGetter, error) {
	cfg, err := kubeconfig.Load(kubeconfigPath)
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = "fig-injector-webhook"
	rc, err := kubeconfig.RESTClient(cfg, corev1.SchemeGroupVersion, corev1.AddToScheme)
	if err != nil {
		return nil, err
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
