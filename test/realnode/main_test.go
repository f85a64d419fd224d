//go:build realnode

package realnode

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// cs is the client of the node's API server (admin), from $KUBECONFIG (hack/realnode/up.sh's env).
var cs kubernetes.Interface

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "realnode: KUBECONFIG: run through hack/realnode/test.sh:", err)
		return 1
	}
	cfg.QPS, cfg.Burst = 50, 100 // the tests poll pods; client-go's default 5 QPS would throttle them
	cs = kubernetes.NewForConfigOrDie(cfg)
	// What the walkthrough installed and these tests build on.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, d := range []struct{ ns, name string }{{"fig-dev", "fig-dev"}, {"fig-system", "fig-injector"}} {
		dep, err := cs.AppsV1().Deployments(d.ns).Get(ctx, d.name, metav1.GetOptions{})
		if err != nil || !available(dep) {
			fmt.Fprintf(os.Stderr, "realnode: deployment %s/%s is not available (%v): run through hack/realnode/test.sh, "+
				"which runs examples/kind/up.sh first\n", d.ns, d.name, err)
			return 1
		}
	}
	return m.Run()
}

func available(d *appsv1.Deployment) bool {
	return d.Status.AvailableReplicas > 0 && d.Status.ObservedGeneration >= d.Generation
}
