// Package realnode proves the whole chain on a real node: real pods run by a real kubelet, the chart's
// webhook running as a pod from the product image, the agent image the chart injects, the emulators
// (`fig-injector dev`) in-cluster, the kubelet's projected service-account token presented to the Entra ID
// emulator. hack/realnode/test.sh (make realnode) brings the node up (hack/realnode/up.sh), runs the kind
// walkthrough against it (USE_CURRENT_CLUSTER=1 examples/kind/up.sh), then these tests, which build on
// what the walkthrough installed (namespaces fig-dev and demo, the chart in fig-system), and always
// brings the node down. The tests carry the build tag realnode.
package realnode
