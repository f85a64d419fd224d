#!/usr/bin/env bash
# examples/kind/up.sh — fig-injector end to end on a local kind cluster, no Azure needed.
#
#   1. create the kind cluster (skipped when it exists)
#   2. build the product image, the agent image and the sample app image (docker, else podman) and
#      load them into kind
#   3. make the emulators' CA (openssl) and hand it out (ca/kustomization.yaml)
#   4. run `fig-injector dev` in the cluster: Fig, Entra ID and Key Vault emulators (manifests/fig-dev.yaml)
#   5. install the chart (values.yaml: workload identity added by our webhook, allowlists for the emulators)
#   6. deploy the sample app with the injection label and annotations (manifests/sample-app.yaml)
#   7. show the rendered file and what the app serves
#   8. change a Fig value and a Key Vault secret (manifests/fig-dev-seed-changed.yaml) and show both follow
#
# Needs kind, kubectl, helm, openssl and docker or podman. Tear down with down.sh.
# Environment: CLUSTER (default fig-injector), ENGINE (docker or podman; default: whichever is found),
#   TIMEOUT (seconds to wait for the change to arrive; default 240).
#   USE_CURRENT_CLUSTER=1: skip steps 1 and 2 and run everything else against kubectl's current context
#   (any cluster, not only kind): the three images must already be on its nodes under the names below.
#   Needs only kubectl, helm and openssl then. CI runs the walkthrough this way on its real node
#   (hack/realnode/test.sh).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CLUSTER=${CLUSTER:-fig-injector}
TIMEOUT=${TIMEOUT:-240}
IMAGE=localhost/fig-injector:kind        # the names the manifests and values.yaml use
AGENT_IMAGE=localhost/fig-injector-agent:kind  # the chart's default: <image.repository>-agent
SAMPLE_IMAGE=localhost/fig-sampleapp:kind
M=$HERE/manifests

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'up.sh: %s\n' "$*" >&2; exit 1; }

CURRENT=${USE_CURRENT_CLUSTER:-}
tools=(kubectl helm openssl)
[ -n "$CURRENT" ] || tools+=(kind)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || die "$tool is required (see examples/kind/README.md)"
done

# Steps 1 and 2: the kind cluster and the images built and loaded into it.
kind_cluster_and_images() {
  if [ -z "${ENGINE:-}" ]; then
    if command -v docker >/dev/null && docker info >/dev/null 2>&1; then ENGINE=docker
    elif command -v podman >/dev/null; then ENGINE=podman
    else die "docker (running) or podman is required to build the images"; fi
  fi
  # kind drives podman only when told to.
  [ "$ENGINE" = podman ] && export KIND_EXPERIMENTAL_PROVIDER=podman

  step "1. kind cluster $CLUSTER"
  if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
    echo "exists; reusing it"
  else
    kind create cluster --name "$CLUSTER" --wait 120s
  fi

  step "2. images ($ENGINE): $IMAGE, $AGENT_IMAGE, $SAMPLE_IMAGE"
  local version archives img tar
  version=$(git -C "$ROOT" describe --tags --always --dirty 2>/dev/null || echo dev)
  "$ENGINE" build --build-arg VERSION="$version" -t "$IMAGE" "$ROOT"
  "$ENGINE" build --build-arg VERSION="$version" --build-arg TAGS=agentonly -t "$AGENT_IMAGE" "$ROOT"
  "$ENGINE" build -f "$ROOT/examples/apps/sampleapp/Dockerfile" -t "$SAMPLE_IMAGE" "$ROOT"
  archives=$(mktemp -d)
  # An archive works the same for docker and podman (kind load docker-image needs docker).
  for img in "$IMAGE" "$AGENT_IMAGE" "$SAMPLE_IMAGE"; do
    tar="$archives/$(basename "${img%%:*}").tar"
    "$ENGINE" save -o "$tar" "$img"
    kind load image-archive "$tar" --name "$CLUSTER"
  done
  rm -rf "$archives"
}

if [ -n "$CURRENT" ]; then
  KUBECTL=(kubectl)
  HELM=(helm)
  step "1-2. skipped (USE_CURRENT_CLUSTER): context $(kubectl config current-context), images already on its nodes"
else
  KUBECTL=(kubectl --context "kind-$CLUSTER")
  HELM=(helm --kube-context "kind-$CLUSTER")
  kind_cluster_and_images
fi

step "3. the emulators' CA"
if [ ! -s "$HERE/ca/ca.crt" ] || [ ! -s "$HERE/ca/ca.key" ]; then
  # ECDSA P-256, a CA for server certificates only; dev loads it from its --dir.
  openssl ecparam -name prime256v1 -genkey -noout -out "$HERE/ca/ca.key"
  openssl req -x509 -new -key "$HERE/ca/ca.key" -sha256 -days 365 -subj "/CN=fig-injector kind dev CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$HERE/ca/ca.crt"
  chmod 600 "$HERE/ca/ca.key"
fi
"${KUBECTL[@]}" apply -f "$M/namespaces.yaml"
"${KUBECTL[@]}" apply -k "$HERE/ca"

step "4. emulators: fig-injector dev in namespace fig-dev"
"${KUBECTL[@]}" apply -f "$M/fig-dev-seed.yaml" -f "$M/fig-dev.yaml"
"${KUBECTL[@]}" -n fig-dev rollout restart deployment/fig-dev >/dev/null # picks up a rebuilt image on a rerun
"${KUBECTL[@]}" -n fig-dev rollout status deployment/fig-dev --timeout=120s

step "5. the chart (namespace fig-system)"
"${HELM[@]}" upgrade --install fig-injector "$ROOT/charts/fig-injector" \
  --namespace fig-system --create-namespace -f "$HERE/values.yaml" --wait --timeout 180s

step "6. the sample app in namespace demo"
"${KUBECTL[@]}" apply -f "$M/sample-app.yaml"
"${KUBECTL[@]}" -n demo rollout restart deployment/orders >/dev/null # re-injects with the current chart
"${KUBECTL[@]}" -n demo rollout status deployment/orders --timeout=180s
# The restarted pod: the old one may still be Running while it terminates (and creation times have
# one-second resolution), so skip pods being deleted.
POD=$("${KUBECTL[@]}" -n demo get pods -l app.kubernetes.io/name=orders --field-selector=status.phase=Running \
  --sort-by=.metadata.creationTimestamp \
  -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{.metadata.name}}{{"\n"}}{{end}}{{end}}' | tail -n 1)
[ -n "$POD" ] || die "no running pod of deployment orders"
echo "pod $POD; what the webhook added:"
"${KUBECTL[@]}" -n demo get pod "$POD" -o \
  jsonpath='  init containers: {.spec.initContainers[*].name}{"\n"}  containers:      {.spec.containers[*].name}{"\n"}  volumes:         {.spec.volumes[*].name}{"\n"}'

# file prints the rendered file as the app container sees it (the images have no shell or cat: the
# sample app prints it), app prints what the app serves, through the API server's service proxy.
file() { "${KUBECTL[@]}" -n demo exec "$POD" -c app -- /sampleapp --config=/fig/appsettings.json --print --show-secrets; echo; }
app() { "${KUBECTL[@]}" get --raw "/api/v1/namespaces/demo/services/orders:http/proxy/"; }

step "7. the rendered file /fig/appsettings.json (secrets in clear: this is what the app reads)"
file
step "   what the app serves (secret-looking values masked)"
app

step "8. change a Fig value (Location) and a Key Vault secret (api-key) in the emulators' seed"
"${KUBECTL[@]}" apply -f "$M/fig-dev-seed-changed.yaml"
echo "waiting (up to ${TIMEOUT}s) for the kubelet to refresh the seed volume, then for the agent's next poll ..."
start=$SECONDS
deadline=$((start + TIMEOUT))
until out=$(file 2>/dev/null) && [[ $out == *'"Utrecht"'* && $out == *'kind-api-key-0002'* ]]; do
  [ "$SECONDS" -lt "$deadline" ] || die "the change did not arrive within ${TIMEOUT}s; see: kubectl -n demo logs $POD -c fig-injector"
  sleep 3
done
echo "arrived after about $((SECONDS - start))s"
step "   the file now"
printf '%s\n' "$out"
step "   the app (told by the agent's POST /reload; see generation and changed)"
app
step "   the app's log"
"${KUBECTL[@]}" -n demo logs "$POD" -c app --tail=5

cat <<EOF

Done. Try it yourself:
  kubectl --context kind-$CLUSTER -n fig-dev edit configmap fig-dev-seed      # change any value
  kubectl --context kind-$CLUSTER get --raw /api/v1/namespaces/demo/services/orders:http/proxy/
  kubectl --context kind-$CLUSTER -n demo logs $POD -c fig-injector           # the agent
Tear down: $HERE/down.sh
EOF
