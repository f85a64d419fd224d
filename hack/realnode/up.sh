#!/usr/bin/env bash
# hack/realnode/up.sh — a real single-node Kubernetes cluster on this machine, offline, for the real-node
# suite (hack/realnode/test.sh) and by hand. Debian 12, root, cgroup v1 (hybrid) or v2. Nothing is pulled:
# Kubernetes and etcd come from the Go module proxy (hack/k8s-assets.sh, cached by version), containerd,
# runc and the CNI plugins from Debian. Stop with down.sh (same NODE_STATE); it leaves nothing behind.
#
#   etcd + kube-apiserver     127.0.0.1, free ports; authz Node,RBAC; openssl PKI; OIDC discovery served
#                             (issuer https://kubernetes.default.svc.cluster.local, jwks_uri under it: both
#                             reachable from pods through svcproxy, as Entra reaches a cluster's issuer)
#   kube-controller-manager   Deployments, ReplicaSets, EndpointSlices, default SA + kube-root-ca.crt per namespace
#   kube-scheduler            so Deployments schedule and `helm install --wait` completes
#   containerd (CRI)          Debian's, with its own root/state/socket under $NODE_STATE
#   CNI                       Debian's bridge + host-local: bridge $BRIDGE on $POD_CIDR; the host holds .1 (the
#                             kubelet reaches pod IPs for probes); no gateway in pods, no masquerade, no ip_forward
#   kubelet                   failCgroupV1=false, cgroupfs driver, cgroupRoot /$CG_ROOT, serving on $NODE_IP (its
#                             own link $NODE_DEV: dummy, or a port-less bridge where the kernel has no dummy)
#   svcproxy                  user-space kube-proxy + cluster DNS (hack/realnode/svcproxy): ClusterIPs on
#                             $NODE_DEV, pods route $SVC_CIDR via the bridge; DNS on $DNS_IP
#   images                    localhost/realnode/pause:1 (static Go pause), localhost/realnode/busybox:1 (Debian
#                             busybox-static, users app 1000, nonroot 65532, group fs 2000)
#
# Admission webhooks reach their Service as in a real cluster, with no kube-proxy: with
# --enable-aggregator-routing=true, kube-apiserver's buildServiceResolver (cmd/kube-apiserver/app/server.go,
# v1.37.2) picks aggregator's NewEndpointServiceResolver (a Service -> one of its EndpointSlice endpoints,
# a pod IP the host reaches over $BRIDGE) instead of NewClusterIPServiceResolver, and the same resolver is
# handed to the admission webhook plugin initializer (pkg/controlplane/apiserver/config.go:
# genericAdmissionConfig.New(..., serviceResolver, ...)); checked in that source. TLS still verifies
# <service>.<namespace>.svc. (svcproxy serves ClusterIPs too, but the API server never needs them.)
#
# Env (optional): NODE_STATE (/tmp/fig-injector-realnode)  NODE_NAME (realnode)  NODE_IP (10.250.0.1)
#   NODE_DEV (rn-node0)  BRIDGE (rnbr0)  POD_CIDR (10.244.0.0/24, a /24)  SVC_CIDR (10.96.0.0/24, a /24)
#   CG_ROOT (realnode); K8S_VERSION, ETCD_VERSION, FIG_INJECTOR_CACHE: see hack/versions.sh.
# Writes $NODE_STATE/env: KUBECONFIG API_URL K8S_BIN CONTAINERD_SOCK CTR NODE_NAME NODE_IP POD_GW BRIDGE
#   SVC_IP DNS_IP NODE_STATE. Idempotent: already up -> exit 0; half up -> down.sh first; failure -> down.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
ROOT=$(cd "$here/../.." && pwd -P)
# shellcheck source=hack/versions.sh
. "$ROOT/hack/versions.sh"
export NODE_STATE=${NODE_STATE:-/tmp/fig-injector-realnode}
NODE_NAME=${NODE_NAME:-realnode}
NODE_IP=${NODE_IP:-10.250.0.1}; NODE_DEV=${NODE_DEV:-rn-node0}; BRIDGE=${BRIDGE:-rnbr0}
POD_CIDR=${POD_CIDR:-10.244.0.0/24}; CG_ROOT=${CG_ROOT:-realnode}
SVC_CIDR=${SVC_CIDR:-10.96.0.0/24}; SVC_IP=${SVC_CIDR%.*}.1; DNS_IP=${SVC_CIDR%.*}.10
S=$NODE_STATE; P=$S/pki; B=$ASSETS
log() { printf '[realnode up %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [[ $st != Z* ]]; }
[ "$(id -u)" = 0 ] || { log "run as root: the node creates links, mounts and cgroups"; exit 1; }
t_all=$SECONDS
PROCS="etcd apiserver controller-manager scheduler svcproxy containerd kubelet"

# ---- already up?
if [ -f "$S/env" ] && [ -f "$S/kubelet.pid" ]; then
  all=1; for p in $PROCS; do [ -f "$S/$p.pid" ] && alive "$(cat "$S/$p.pid")" || all=""; done
  if [ -n "$all" ] && KUBECONFIG=$S/kubeconfig "$B/kubectl" get node "$NODE_NAME" >/dev/null 2>&1; then
    log "already up ($S/env)"; exit 0
  fi
fi
if ls "$S"/*.pid >/dev/null 2>&1 || [ -f "$S/links" ]; then
  log "half up: running down.sh first"; bash "$here/down.sh"
fi
for l in "$NODE_DEV" "$BRIDGE"; do
  ! ip link show "$l" >/dev/null 2>&1 || { log "link $l exists already (another node?): choose other NODE_DEV/BRIDGE"; exit 1; }
done

# ---- packages (Debian)
need=()
for pair in containerd:containerd runc:runc /usr/lib/cni/bridge:containernetworking-plugins busybox:busybox-static \
            openssl:openssl curl:curl iptables:iptables ip:iproute2; do
  b=${pair%%:*}; pk=${pair#*:}
  if [[ $b == /* ]]; then [ -e "$b" ] || need+=("$pk"); else command -v "$b" >/dev/null || need+=("$pk"); fi
done
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# ---- binaries (Go proxy, cached by version) and images
t=$SECONDS
WITH_NODE=1 bash "$ROOT/hack/k8s-assets.sh" "$B"
log "binaries ready in $((SECONDS - t))s ($B)"
mkdir -p "$S" "$P" "$S/bin"
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -o "$S/bin/svcproxy" ./hack/realnode/svcproxy)
IMG=$CACHE/realnode-images; mkdir -p "$IMG"
if [ ! -f "$IMG/pause.tar" ] || [ ! -f "$IMG/busybox.tar" ]; then
  w=$(mktemp -d); mkdir -p "$w/pause" "$w/bb/bin" "$w/bb/tmp" "$w/bb/etc"
  (cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$w/pause/pause" ./hack/realnode/images/pause)
  ldd "$(command -v busybox)" >/dev/null 2>&1 && { log "busybox is dynamically linked: install busybox-static"; exit 1; }
  cp "$(command -v busybox)" "$w/bb/bin/busybox"
  for a in $("$w/bb/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$w/bb/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/tmp:/bin/sh\nnonroot:x:65532:65532:nonroot:/tmp:/bin/sh\n' >"$w/bb/etc/passwd"
  printf 'root:x:0:\napp:x:1000:\nnonroot:x:65532:\nnobody:x:65534:\nfs:x:2000:\n' >"$w/bb/etc/group"
  chmod 1777 "$w/bb/tmp"
  bash "$here/images/mkimage.sh" localhost/realnode/pause:1 "$w/pause" "$IMG/pause.tar" '["/pause"]' 65535
  bash "$here/images/mkimage.sh" localhost/realnode/busybox:1 "$w/bb" "$IMG/busybox.tar" '["/bin/sh"]'
  rm -rf "$w"
fi
CTRD=$(command -v containerd); CTR=$(command -v ctr); SHIM_DIR=$(dirname "$(command -v containerd-shim-runc-v2)")

# ---- on failure: stop everything started so far
on_exit() { local rc=$?; if [ "$rc" -ne 0 ]; then log "failed (rc=$rc), stopping what was started"; bash "$here/down.sh" || true; fi; }
trap on_exit EXIT
t_up=$SECONDS

# ---- PKI (kept across runs; down.sh keeps it)
sign() { # name subj san eku
  openssl req -newkey rsa:2048 -nodes -keyout "$P/$1.key" -out "$P/$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=$4" \
    ${3:+"subjectAltName=$3"} >"$P/$1.ext"
  openssl x509 -req -in "$P/$1.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -out "$P/$1.crt" -days 3650 \
    -extfile "$P/$1.ext" 2>/dev/null
  rm -f "$P/$1.csr" "$P/$1.ext"
}
if [ ! -f "$P/ca.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$P/ca.key" -out "$P/ca.crt" -days 3650 -subj "/CN=realnode-ca" 2>/dev/null
  sign apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:$SVC_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local" serverAuth
  sign admin "/O=system:masters/CN=realnode-admin" "" clientAuth
  sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "" clientAuth
  sign kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME" "" clientAuth
  sign kubelet-serving "/O=system:nodes/CN=system:node:$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME" serverAuth
  openssl genrsa -out "$P/sa.key" 2048 2>/dev/null; openssl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub" 2>/dev/null
  chmod 600 "$P"/*.key
fi
log "pki ready"
{ read -r ETCD_PORT; read -r ETCD_PEER; read -r API_PORT; read -r KUBELET_PORT; read -r HEALTHZ_PORT; } < <(bash "$here/freeport.sh" 5)

# ---- etcd + kube-apiserver
rm -rf "$S/etcd-data"
"$B/etcd" --name realnode --data-dir "$S/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
  --initial-cluster "realnode=http://127.0.0.1:$ETCD_PEER" --unsafe-no-fsync --listen-metrics-urls "" \
  </dev/null >"$S/etcd.log" 2>&1 &
echo $! >"$S/etcd.pid"
# --enable-aggregator-routing=true: webhooks are called at their Service's endpoint IPs (see the header).
"$B/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" --cert-dir "$S/apiserver-certs" \
  --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" --client-ca-file "$P/ca.crt" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
  --service-account-jwks-uri https://kubernetes.default.svc.cluster.local/openid/v1/jwks \
  --service-cluster-ip-range "$SVC_CIDR" --allow-privileged=true --endpoint-reconciler-type none \
  --kubelet-client-certificate "$P/apiserver-kubelet-client.crt" --kubelet-client-key "$P/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority "$P/ca.crt" --kubelet-preferred-address-types InternalIP \
  --enable-aggregator-routing=true \
  </dev/null >"$S/apiserver.log" 2>&1 &
echo $! >"$S/apiserver.pid"
API_URL=https://127.0.0.1:$API_PORT
kc() { # kc FILE USER_CERT_NAME
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: realnode
  cluster: {server: "$API_URL", certificate-authority: "$P/ca.crt"}
users:
- name: u
  user: {client-certificate: "$P/$2.crt", client-key: "$P/$2.key"}
contexts:
- name: realnode
  context: {cluster: realnode, user: u}
current-context: realnode
KC
  chmod 600 "$1"
}
kc "$S/kubeconfig" admin; kc "$S/kubelet.kubeconfig" kubelet-client
export KUBECONFIG=$S/kubeconfig
for _ in $(seq 1 600); do
  for p in etcd apiserver; do alive "$(cat "$S/$p.pid")" || { tail -20 "$S/$p.log" >&2; log "$p died"; exit 1; }; done
  curl -fsS --max-time 2 --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" "$API_URL/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
log "apiserver ready at $API_URL"
{ read -r KCM_PORT; read -r SCHED_PORT; } < <(bash "$here/freeport.sh" 2)
"$B/kube-controller-manager" --kubeconfig "$S/kubeconfig" --authentication-kubeconfig "$S/kubeconfig" \
  --authorization-kubeconfig "$S/kubeconfig" --root-ca-file "$P/ca.crt" --leader-elect=false \
  --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --cert-dir "$S/kcm-certs" --use-service-account-credentials=false \
  --service-cluster-ip-range "$SVC_CIDR" </dev/null >"$S/controller-manager.log" 2>&1 &
echo $! >"$S/controller-manager.pid"
"$B/kube-scheduler" --kubeconfig "$S/kubeconfig" --authentication-kubeconfig "$S/kubeconfig" \
  --authorization-kubeconfig "$S/kubeconfig" --leader-elect=false --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" \
  --cert-dir "$S/sched-certs" </dev/null >"$S/scheduler.log" 2>&1 &
echo $! >"$S/scheduler.pid"
log "controller-manager and scheduler started"

# ---- node network: the node IP on a link of its own (the kubelet rejects a loopback node IP; some VM
# kernels have no "dummy" link type: a bridge without ports does the same job); it also carries the
# ClusterIPs svcproxy serves. The pod bridge is created here with the host's address so the kubelet
# reaches pod IPs for probes; CNI's bridge plugin then runs with isGateway=false.
printf '%s\n' "$NODE_DEV" "$BRIDGE" >"$S/links"; echo "$CG_ROOT" >"$S/cgroot"   # for down.sh
ip link add "$NODE_DEV" type dummy 2>/dev/null || ip link add "$NODE_DEV" type bridge
ip addr add "$NODE_IP/32" dev "$NODE_DEV"; ip addr add "$DNS_IP/32" dev "$NODE_DEV"; ip link set "$NODE_DEV" up
ip link add "$BRIDGE" type bridge; ip addr add "${POD_CIDR%.*}.1/24" dev "$BRIDGE"; ip link set "$BRIDGE" up
"$S/bin/svcproxy" --kubeconfig "$S/kubeconfig" --dev "$NODE_DEV" --dns-ip "$DNS_IP" --apiserver "127.0.0.1:$API_PORT" \
  </dev/null >"$S/svcproxy.log" 2>&1 &
echo $! >"$S/svcproxy.pid"
mkdir -p "$S/cni/net.d"
cat >"$S/cni/net.d/10-realnode.conflist" <<JSON
{"cniVersion":"0.4.0","name":"realnode","plugins":[
 {"type":"bridge","bridge":"$BRIDGE","isGateway":false,"ipMasq":false,"hairpinMode":false,
  "ipam":{"type":"host-local","ranges":[[{"subnet":"$POD_CIDR","rangeStart":"${POD_CIDR%.*}.10"}]],"dataDir":"$S/cni/ipam",
          "routes":[{"dst":"$SVC_CIDR","gw":"${POD_CIDR%.*}.1"}]}}]}
JSON

# ---- what the host has before the kubelet changes it, for down.sh: sysctls (protectKernelDefaults=false
# lets the kubelet set them), hard-coded host paths, KUBE-* iptables chains, netns
for k in vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes; do
  echo "$k=$(sysctl -n "$k")"; done >"$S/sysctl.saved"
ls /run/netns 2>/dev/null >"$S/netns.before" || true
for p in /var/lib/kubelet /var/lib/kubelet/device-plugins /var/log/containers /var/lib/cni /var/lib/cni/results \
         /etc/cni /etc/cni/net.d /etc/cni/net.d/cni.lock /run/containerd; do [ -e "$p" ] && echo "$p"; done >"$S/hostpaths.before"
for ipt in iptables ip6tables; do for t in mangle nat filter; do
  $ipt -w -t $t -S 2>/dev/null | awk -v t=$t -v i=$ipt '$1=="-N" && $2 ~ /^KUBE-/ {print i, t, $2}'; done; done >"$S/kube-chains.before"
echo "$CTR" >"$S/ctr.path"

# ---- containerd
mkdir -p "$S/containerd"
cat >"$S/containerd/config.toml" <<TOML
version = 2
root = "$S/containerd/root"
state = "$S/containerd/state"
[grpc]
  address = "$S/containerd/containerd.sock"
[ttrpc]
  address = "$S/containerd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$S/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/realnode/pause:1"
  enable_selinux = false
  netns_mounts_under_state_dir = true
  # where root lacks CAP_SYS_RESOURCE (some VMs), runc cannot lower oom_score_adj (pause gets -998) and fails
  # with "can't get final child's PID from pipe: EOF"; clamp OOM scores at containerd's own instead
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$(command -v runc)"
        Root = "$S/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$S/cni/net.d"
TOML
PATH=$SHIM_DIR:$PATH "$CTRD" --config "$S/containerd/config.toml" </dev/null >"$S/containerd.log" 2>&1 &
echo $! >"$S/containerd.pid"
SOCK=$S/containerd/containerd.sock
for _ in $(seq 1 200); do [ -S "$SOCK" ] && "$CTR" -a "$SOCK" version >/dev/null 2>&1 && break; sleep 0.1; done
alive "$(cat "$S/containerd.pid")" || { tail -20 "$S/containerd.log" >&2; exit 1; }
for i in pause busybox; do "$CTR" -a "$SOCK" -n k8s.io images import --all-platforms "$IMG/$i.tar" >/dev/null; done
log "containerd up"

# ---- kubelet
for c in /sys/fs/cgroup/*/; do
  case $c in */unified/) continue;; esac
  [ -f "$c/cgroup.procs" ] && mkdir -p "$c$CG_ROOT"
done
[ -f /sys/fs/cgroup/cgroup.controllers ] && mkdir -p "/sys/fs/cgroup/$CG_ROOT"   # pure cgroup v2
mkdir -p "$S/kubelet/root" "$S/kubelet/pki"
cat >"$S/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$CG_ROOT
containerRuntimeEndpoint: unix://$SOCK
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $HEALTHZ_PORT
tlsCertFile: $P/kubelet-serving.crt
tlsPrivateKeyFile: $P/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $P/ca.crt}
authorization: {mode: Webhook}
failSwapOn: false
podCIDR: $POD_CIDR
clusterDNS: [$DNS_IP]
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
staticPodPath: ""
# ConfigMap and Secret volumes follow an edit on the pod's periodic sync (default 1m): 10s keeps the
# suite's seed edits (and the walkthrough's step 8) quick without changing what is tested
syncFrequency: 10s
podLogsDir: $S/kubelet/logs
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {"memory.available": "100Mi"}
volumePluginDir: $S/kubelet/volume-plugins
YAML
"$B/kubelet" --config "$S/kubelet/config.yaml" --kubeconfig "$S/kubelet.kubeconfig" \
  --root-dir "$S/kubelet/root" --cert-dir "$S/kubelet/pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" -v 2 \
  </dev/null >"$S/kubelet.log" 2>&1 &
echo $! >"$S/kubelet.pid"
ready() { [ "$("$B/kubectl" get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]; }
for _ in $(seq 1 1200); do
  for p in $PROCS; do alive "$(cat "$S/$p.pid")" || { tail -30 "$S/$p.log" >&2; log "$p died"; exit 1; }; done
  ready && break
  sleep 0.1
done
ready || { "$B/kubectl" describe node "$NODE_NAME" >&2 || true; tail -30 "$S/kubelet.log" >&2; log "node not Ready"; exit 1; }
# the controller-manager makes these for every namespace; wait so pods can be created right away
for _ in $(seq 1 300); do "$B/kubectl" -n default get serviceaccount default >/dev/null 2>&1 && break; sleep 0.1; done
{
  printf 'KUBECONFIG=%q\n' "$S/kubeconfig"; printf 'API_URL=%q\n' "$API_URL"; printf 'K8S_BIN=%q\n' "$B"
  printf 'CONTAINERD_SOCK=%q\n' "$SOCK"; printf 'NODE_NAME=%q\n' "$NODE_NAME"; printf 'NODE_IP=%q\n' "$NODE_IP"
  printf 'CTR=%q\n' "$CTR"; printf 'POD_GW=%q\n' "${POD_CIDR%.*}.1"; printf 'BRIDGE=%q\n' "$BRIDGE"
  printf 'SVC_IP=%q\n' "$SVC_IP"; printf 'DNS_IP=%q\n' "$DNS_IP"; printf 'NODE_STATE=%q\n' "$S"
} >"$S/env"
log "node $NODE_NAME Ready: up in $((SECONDS - t_up))s (total incl. builds $((SECONDS - t_all))s); use: set -a; . $S/env; set +a"
