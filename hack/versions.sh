#!/usr/bin/env bash
# hack/versions.sh — sourced, not run: the pinned versions of the Kubernetes pieces the suites build
# from the Go module proxy, and the one version-keyed cache directory they share (hack/e2e.sh,
# hack/realnode/*), so kube-apiserver, etcd, kubectl and helm are built once for both suites.
# shellcheck disable=SC2034 # read by the scripts that source this file
export K8S_VERSION=${K8S_VERSION:-v1.37.2}
export ETCD_VERSION=${ETCD_VERSION:-v3.7.3}
export HELM_VERSION=${HELM_VERSION:-v4.3.1}
HELM3_VERSION=${HELM3_VERSION:-v3.22.0}
CACHE=${FIG_INJECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fig-injector}
ASSETS=$CACHE/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION
# kind (hack/kind): the CLI and, in its node image, CoreDNS (the version kubeadm $K8S_VERSION deploys:
# `kubeadm config images list`), both built from the Go module proxy.
export KIND_VERSION=${KIND_VERSION:-v0.33.0}
export COREDNS_VERSION=${COREDNS_VERSION:-v1.14.6}
