#!/usr/bin/env bash
# examples/aks/walkthrough.sh STEP — every Azure and Kubernetes command of the AKS walkthrough
# (README.md beside this file explains each one). Run the steps in order from the repository root:
#
#   names registry cluster vault identity fig injector app change cleanup purge
#
# State lives in one file, not in the shell: `names` writes $FIG_DEMO_ENV (default
# ~/.fig-demo.env) once, with random suffixes, and every step sources it. A Cloud Shell timeout or a
# new terminal loses nothing; `names` again keeps what is there (delete the file to start over).
#
# Needs: az (logged in), kubectl, helm 3 or 4, openssl, uuidgen, envsubst (gettext); for the image
# fallback, docker. Environment: FIG_DEMO_ENV; for `names`: SUBSCRIPTION (default: the CLI's current
# one, written down so every later step uses that one), LOCATION (westeurope).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/examples/aks
STATE=${FIG_DEMO_ENV:-$HOME/.fig-demo.env}
VERSION=0.1.0   # the image tag the walkthrough builds and values.yaml names

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'walkthrough.sh: %s\n' "$*" >&2; exit 1; }

load() {
  [ -f "$STATE" ] || die "no $STATE: run '$0 names' first"
  # shellcheck source=/dev/null
  . "$STATE"
  az account set --subscription "$SUBSCRIPTION"
}

# save NAME VALUE appends a line to the state file (later lines win when sourced).
save() { printf 'export %s=%q\n' "$1" "$2" >>"$STATE"; }

names() {
  if [ -f "$STATE" ]; then
    echo "$STATE exists; keeping its names:"; cat "$STATE"; return
  fi
  local sub=${SUBSCRIPTION:-$(az account show --query id -o tsv)}
  umask 077
  : >"$STATE"
  save SUBSCRIPTION "$sub"
  save LOCATION "${LOCATION:-westeurope}"
  save RG fig-demo
  save AKS fig-demo-aks
  save ACR_NAME "figdemo$(openssl rand -hex 4)"      # globally unique, letters and digits
  save KV_NAME "fig-demo-kv-$(openssl rand -hex 3)"  # globally unique, 3-24 characters
  save TENANT_ID "$(az account show --subscription "$sub" --query tenantId -o tsv)"
  load
  az group create --name "$RG" --location "$LOCATION"
  cat "$STATE"
}

registry() {
  load
  az acr create --resource-group "$RG" --name "$ACR_NAME" --sku Basic
  save ACR_SERVER "$(az acr show --name "$ACR_NAME" --query loginServer -o tsv)"
  load
  if [ "${NO_ACR_TASKS:-0}" = 1 ]; then
    # Subscriptions where ACR Tasks are refused: build locally (amd64 nodes) and push.
    az acr login --name "$ACR_NAME"
    docker build --platform linux/amd64 --build-arg VERSION=$VERSION -t "$ACR_SERVER/fig-injector:$VERSION" "$ROOT"
    docker build --platform linux/amd64 --build-arg VERSION=$VERSION --build-arg TAGS=agentonly \
      -t "$ACR_SERVER/fig-injector-agent:$VERSION" "$ROOT"
    docker build --platform linux/amd64 -f "$ROOT/examples/apps/sampleapp/Dockerfile" \
      -t "$ACR_SERVER/fig-sampleapp:$VERSION" "$ROOT"
    for img in fig-injector fig-injector-agent fig-sampleapp; do docker push "$ACR_SERVER/$img:$VERSION"; done
    return
  fi
  az acr build --registry "$ACR_NAME" --image "fig-injector:$VERSION" --build-arg VERSION=$VERSION "$ROOT"
  az acr build --registry "$ACR_NAME" --image "fig-injector-agent:$VERSION" --build-arg VERSION=$VERSION \
    --build-arg TAGS=agentonly "$ROOT"
  az acr build --registry "$ACR_NAME" --image "fig-sampleapp:$VERSION" \
    --file "$ROOT/examples/apps/sampleapp/Dockerfile" "$ROOT"
}

cluster() {
  load
  if az aks show --resource-group "$RG" --name "$AKS" >/dev/null 2>&1; then
    # An existing cluster: this restarts its API server, and enabling the issuer gives the cluster
    # a new OIDC issuer URL (federated credentials made for an older one stop working).
    az aks update --resource-group "$RG" --name "$AKS" --enable-oidc-issuer --enable-workload-identity \
      --attach-acr "$ACR_NAME"
  else
    az aks create --resource-group "$RG" --name "$AKS" --node-count 2 --generate-ssh-keys \
      --enable-oidc-issuer --enable-workload-identity --attach-acr "$ACR_NAME"
  fi
  az aks get-credentials --resource-group "$RG" --name "$AKS" --overwrite-existing
  save OIDC_ISSUER "$(az aks show --resource-group "$RG" --name "$AKS" --query oidcIssuerProfile.issuerUrl -o tsv)"
}

vault() {
  load
  az keyvault create --resource-group "$RG" --name "$KV_NAME" --location "$LOCATION" --enable-rbac-authorization true
  save KV_ID "$(az keyvault show --name "$KV_NAME" --query id -o tsv)"
  load
  az role assignment create --role "Key Vault Secrets Officer" --scope "$KV_ID" \
    --assignee-object-id "$(az ad signed-in-user show --query id -o tsv)" --assignee-principal-type User
  # A new role assignment takes effect within minutes (up to ~10): retry the first write until then.
  local i
  for i in $(seq 1 60); do
    az keyvault secret set --vault-name "$KV_NAME" --name api-key --value "$(openssl rand -hex 16)" >/dev/null && break
    [ "$i" = 60 ] && die "still Forbidden after 10 minutes: check the role assignment above"
    echo "Key Vault answers Forbidden until the role assignment applies; retrying in 10 s ($i/60)"
    sleep 10
  done
  az keyvault secret set --vault-name "$KV_NAME" --name OrderService--ConnectionStrings--Orders \
    --value "Server=orders-db;Database=orders;User Id=orders;Password=$(openssl rand -hex 12)" >/dev/null
  az keyvault secret set --vault-name "$KV_NAME" --name fig-orderservice-secret --value "$(uuidgen)" >/dev/null
}

identity() {
  load
  az identity create --resource-group "$RG" --name orders-identity
  save CLIENT_ID "$(az identity show --resource-group "$RG" --name orders-identity --query clientId -o tsv)"
  save PRINCIPAL_ID "$(az identity show --resource-group "$RG" --name orders-identity --query principalId -o tsv)"
  load
  az role assignment create --role "Key Vault Secrets User" --scope "$KV_ID" \
    --assignee-object-id "$PRINCIPAL_ID" --assignee-principal-type ServicePrincipal
  az identity federated-credential create --resource-group "$RG" --identity-name orders-identity --name orders-shop \
    --issuer "$OIDC_ISSUER" --subject system:serviceaccount:shop:orders --audience api://AzureADTokenExchange
}

fig() {
  load
  kubectl apply -f "$HERE/fig-api.yaml"
  kubectl -n fig get secret fig-api >/dev/null 2>&1 ||
    kubectl -n fig create secret generic fig-api --from-literal=api-secret="$(openssl rand -hex 32)"
  kubectl -n fig rollout status deployment/fig-api --timeout=5m
  kubectl -n fig rollout status deployment/fig-web --timeout=5m
}

injector() {
  load
  helm upgrade --install fig-injector "$ROOT/charts/fig-injector" --namespace fig-system --create-namespace \
    -f "$HERE/values.yaml" --set image.repository="$ACR_SERVER/fig-injector" \
    --set workloadIdentity.tenantId="$TENANT_ID" --wait
}

app() {
  load
  # shellcheck disable=SC2016 # envsubst takes the variable names literally
  envsubst '$ACR_SERVER $KV_NAME $CLIENT_ID' <"$HERE/orders.yaml" | kubectl apply -f -
  # While the role assignment of step `identity` is not yet in force (up to ~10 minutes), the agent
  # gets 403 from Key Vault, the pods stay in Init and this waits; it succeeds once the role applies.
  kubectl -n shop rollout status deployment/orders --timeout=15m
  kubectl -n shop get pods -l app.kubernetes.io/name=orders \
    -o jsonpath='{range .items[*]}{.metadata.name}: init={.spec.initContainers[*].name} app={.spec.containers[*].name}{"\n"}{end}'
  kubectl -n shop exec deployment/orders -c app -- /sampleapp --print
}

change() {
  load
  az keyvault secret set --vault-name "$KV_NAME" --name api-key --value "$(openssl rand -hex 16)" >/dev/null
  echo "api-key rotated; within ~60 s the app logs \"config reloaded\" with \"changed\":[\"PaymentApiKey\"]"
  kubectl -n shop logs deployment/orders -c app --since=2m -f
}

cleanup() {
  load
  az group delete --name "$RG" --yes --no-wait
  echo "deleting $RG in the background; '$0 purge' frees the vault name once it is gone"
}

purge() {
  load
  # The vault is soft-deleted with the group; it can be purged only after the group is gone.
  az group wait --name "$RG" --deleted --timeout 3600
  az keyvault purge --name "$KV_NAME" --location "$LOCATION"
  rm -f "$STATE"
}

case "${1:-}" in
  names | registry | cluster | vault | identity | fig | injector | app | change | cleanup | purge) "$1" ;;
  *) die "usage: $0 names|registry|cluster|vault|identity|fig|injector|app|change|cleanup|purge" ;;
esac
