// Package e2e proves the webhook and the chart on a real kube-apiserver
// (with etcd, both built from the Go module proxy by hack/k8s-assets.sh):
// the chart installs with helm, pods go through the real admission chain
// (ServiceAccount, our webhook, a stand-in for the Azure Workload Identity
// webhook, PodSecurity "restricted"), and the agent is run exactly as a
// stored pod spec says. The tests carry the build tag e2e; run them with
// hack/e2e.sh (or `make e2e`), which builds or reuses the binaries.
package e2e
