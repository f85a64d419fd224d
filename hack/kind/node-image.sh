#!/usr/bin/env bash
# hack/kind/node-image.sh — a kind node image built offline: no registry, no Docker engine, and not
# `kind build node-image` (it drives the docker CLI, pulls docker.io/kindest/base and fetches every image
# its archives lack from a registry). The image is assembled by hand from what this machine can reach:
#
#   base        Debian bookworm (debootstrap; the packages of kind's images/base/Dockerfile that a single
#               node needs) with Debian's containerd, runc and CNI plugins instead of kind's own builds
#   kind files  images/base/files of sigs.k8s.io/kind@$KIND_VERSION, from its Go module (entrypoint,
#               systemd units, containerd config, /kind/bin), set up as kind's base Dockerfile does
#   node        kubeadm, kubelet, kubectl built from the Go module proxy (hack/k8s-assets.sh) in /usr/bin;
#               /kind/version; a ptp + host-local CNI config (the cluster sets disableDefaultCNI)
#   images      pre-loaded into the node's containerd (/var/lib/containerd), under the names
#               `kubeadm config images list` prints for hack/kind/cluster.yaml: kube-apiserver,
#               kube-controller-manager, kube-scheduler, kube-proxy (with Debian's nft/iptables beside it),
#               etcd, CoreDNS (built from the proxy), pause (hack/realnode/images/pause) — each a static
#               binary in a one-layer image (hack/realnode/images/mkimage.sh)
#
#   hack/kind/node-image.sh          builds $NODE_IMAGE into the storage hack/containers-env.sh configures;
#                                    skipped when an image built from the same inputs is there
# Environment: NODE_IMAGE (localhost/fig-injector/kind-node:$K8S_VERSION), DEBIAN_MIRROR (as hack/image.sh),
#   K8S_VERSION ETCD_VERSION KIND_VERSION COREDNS_VERSION FIG_INJECTOR_CACHE (hack/versions.sh).
# Cache: <cache>/kind-node (the debootstrapped base, keyed by its package list; image archives), the
# binaries in their version-keyed directories. Needs root, Debian 12.
# Cold, measured on 2 shared cores (nice 10, other builds running): debootstrap 70-176 s; CoreDNS 315 s
# (146 s user); kubeadm 20 s and kube-proxy 16 s after hack/k8s-assets.sh's other commands (shared build
# cache); kind 7 s; assembly 62-93 s (the commit of the 1.6 GB image is most of it). Up to date: 1 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
# shellcheck source=hack/versions.sh
. hack/versions.sh
# shellcheck source=hack/containers-env.sh
. hack/containers-env.sh
NODE_IMAGE=${NODE_IMAGE:-localhost/fig-injector/kind-node:$K8S_VERSION}
W=$CACHE/kind-node
KIND_BIN=$CACHE/kind-$KIND_VERSION/kind
COREDNS_BIN=$CACHE/coredns-$COREDNS_VERSION/coredns
ETCD_TAG=${ETCD_VERSION#v}-0 # cluster.yaml sets etcd.local.imageTag to this: the etcd actually built
T0=$SECONDS
log() { printf '[kind-node %3ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() { printf '[kind-node] FAIL: %s\n' "$*" >&2; exit 1; }
timed() { local label=$1 started=$SECONDS; shift; "$@"; log "$label: $((SECONDS - started))s"; }
[ "$(id -u)" = 0 ] || die "run as root (debootstrap, buildah, a temporary containerd)"
# What a failure must not leave behind: the temporary containerd (step 5), the working container (step 6).
CTRD_PID='' CTRD_DIR='' WORKING=''
cleanup() {
  if [ -n "$CTRD_PID" ]; then kill "$CTRD_PID" 2>/dev/null || true; wait "$CTRD_PID" 2>/dev/null || true; fi
  [ -z "$CTRD_DIR" ] || rm -rf "$CTRD_DIR"
  [ -z "$WORKING" ] || buildah rm "$WORKING" >/dev/null 2>&1 || true
  CTRD_PID='' CTRD_DIR='' WORKING=''
}
trap cleanup EXIT

# The packages of kind's base image a single node uses (kind's nfs-common, open-iscsi and fuse-overlayfs
# serve storage drivers and rootless nodes), plus Debian's container runtime in place of kind's builds.
PACKAGES=systemd,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,e2fsprogs
PACKAGES=$PACKAGES,bash,ca-certificates,curl,jq,procps,containerd,runc,containernetworking-plugins

# ---- 1. tools and binaries (Debian; Go module proxy, cached by version)
need=()
for pair in buildah:buildah podman:podman runc:runc debootstrap:debootstrap containerd:containerd jq:jq setcap:libcap2-bin; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
timed "kubernetes binaries" env WITH_NODE=1 WITH_KIND=1 bash hack/k8s-assets.sh "$ASSETS"
go_install() { # go_install OUT_BINARY MODULE/PATH@VERSION
  [ -x "$1" ] && return 0
  log "go install $2"
  mkdir -p "$(dirname "$1")"
  GOBIN=$(dirname "$1") CGO_ENABLED=0 timed "go install $2" go install -trimpath -ldflags '-s -w' "$2"
}
go_install "$KIND_BIN" "sigs.k8s.io/kind@$KIND_VERSION"
go_install "$COREDNS_BIN" "github.com/coredns/coredns@$COREDNS_VERSION"
KIND_SRC=$(go mod download -json "sigs.k8s.io/kind@$KIND_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
[ -d "$KIND_SRC/images/base/files" ] || die "no images/base/files in sigs.k8s.io/kind@$KIND_VERSION ($KIND_SRC)"

# ---- 2. up to date?
STAMP=$( { cat "$0" hack/realnode/images/mkimage.sh hack/realnode/images/pause/main.go hack/kind/cluster.yaml
  echo "$PACKAGES $K8S_VERSION $ETCD_VERSION $KIND_VERSION $COREDNS_VERSION"
  for b in kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy etcd; do
    stat -c '%n %s %Y' "$ASSETS/$b"; done; stat -c '%s %Y' "$COREDNS_BIN"; } | sha256sum | cut -c1-16)
if [ "$(podman image inspect --format '{{index .Labels "fig-injector.kind-node.stamp"}}' "$NODE_IMAGE" 2>/dev/null)" = "$STAMP" ]; then
  log "$NODE_IMAGE is up to date (stamp $STAMP)"; exit 0
fi

# ---- 3. the Debian base, cached by its package list
BASE=$W/base-bookworm-$(echo "$PACKAGES" | sha256sum | cut -c1-12)
if [ ! -x "$BASE/usr/bin/containerd" ]; then
  mirror=${DEBIAN_MIRROR:-$(apt_mirror || true)}
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt: set DEBIAN_MIRROR"
  rm -rf "$BASE" "$BASE.partial"
  mkdir -p "$W"
  timed "debootstrap bookworm (+ $PACKAGES)" debootstrap --variant=minbase --include="$PACKAGES" bookworm "$BASE.partial" "$mirror" >/dev/null
  rm -rf "$BASE.partial"/var/cache/apt/archives/*.deb "$BASE.partial"/var/lib/apt/lists/*
  mv "$BASE.partial" "$BASE"
fi

# ---- 4. the node's tree: the base set up as kind's images/base/Dockerfile does
N=$W/node
rm -rf "$N"
timed "copy base" cp -a "$BASE" "$N"
F=$KIND_SRC/images/base/files
install -m 0755 "$F"/usr/local/bin/* "$N/usr/local/bin/"
mkdir -p "$N/kind/bin" "$N/LICENSES" "$N/etc/kubernetes/manifests"
cp -r "$F/kind/." "$N/kind/"
chmod -R u+w,go-w "$N/kind"; chmod 0755 "$N/kind" "$N/kind/bin" "$N"/kind/bin/*
cp "$F/LICENSES/"* "$N/LICENSES/"
cp -r "$F/etc/." "$N/etc/" # containerd config, crictl.yaml, default/kubelet, sysctl.d, systemd units
find "$N/kind" "$N/etc/systemd/system" "$N/etc/containerd" "$N/etc/sysctl.d" "$N/etc/default" -type f ! -path '*/kind/bin/*' -exec chmod 0644 {} +
find "$N/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
rm -f "$N"/lib/systemd/system/multi-user.target.wants/* "$N"/etc/systemd/system/*.wants/* \
  "$N"/lib/systemd/system/local-fs.target.wants/* "$N"/lib/systemd/system/sockets.target.wants/*udev* \
  "$N"/lib/systemd/system/sockets.target.wants/*initctl* "$N"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >>"$N/etc/systemd/journald.conf"
ln -sf /usr/lib/systemd/systemd "$N/sbin/init"
systemctl --root="$N" enable kubelet.service containerd.service undo-mount-hacks.service >/dev/null 2>&1
systemctl --root="$N" mask systemd-binfmt.service >/dev/null 2>&1
# kind's units start /usr/local/bin/containerd (its own build); Debian's is the same daemon, 1.6.
ln -sf /usr/bin/containerd "$N/usr/local/bin/containerd"
# What kind's Dockerfile generates at build: the runtime spec containerd's CRI starts from.
ctr oci spec | jq '.hooks.createContainer[.hooks.createContainer | length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' |
  jq 'del(.process.rlimits)' >"$N/etc/containerd/cri-base.json"
# The pause image kubeadm $K8S_VERSION expects (kind's node build rewrites sandbox_image the same way).
PAUSE=$("$ASSETS/kubeadm" config images list --kubernetes-version "$K8S_VERSION" | grep /pause:)
sed -i "s|^\([[:space:]]*sandbox_image = \).*|\1\"$PAUSE\"|" "$N/etc/containerd/config.toml"
grep -q "sandbox_image = \"$PAUSE\"" "$N/etc/containerd/config.toml" || die "could not set sandbox_image in kind's containerd config"
# CNI: Debian's plugins where containerd looks, and one ptp network (cluster.yaml: disableDefaultCNI, the
# default podSubnet; one node, so its /24). ptp gives every pod a host route: the kubelet reaches pod IPs.
mkdir -p "$N/opt/cni/bin" "$N/etc/cni/net.d"
for p in ptp host-local loopback portmap; do ln -sf "/usr/lib/cni/$p" "$N/opt/cni/bin/$p"; done
cat >"$N/etc/cni/net.d/10-fig-injector-ptp.conflist" <<'JSON'
{
  "cniVersion": "0.4.0",
  "name": "kind-ptp",
  "plugins": [
    {"type": "ptp", "ipMasq": true, "mtu": 1500,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
JSON
install -m 0755 "$ASSETS/kubeadm" "$ASSETS/kubelet" "$ASSETS/kubectl" "$N/usr/bin/"
echo "$K8S_VERSION" >"$N/kind/version"

# ---- 5. the control-plane images, pre-loaded into the node's containerd
I=$W/images
rm -rf "$I"; mkdir -p "$I"
# one_binary BINARY...: prints a new directory for a one-layer image: the binaries in /usr/local/bin
# (where the upstream images keep them; kubeadm's manifests call them by name), passwd/group and /tmp.
one_binary() {
  local dir b
  dir=$(mktemp -d "$I/root.XXXX")
  mkdir -p "$dir/usr/local/bin" "$dir/etc" "$dir/tmp"
  chmod 1777 "$dir/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$dir/etc/group"
  for b in "$@"; do install -m 0755 "$b" "$dir/usr/local/bin/"; done
  echo "$dir"
}
# with_libs DIR PROGRAM...: copies Debian programs of the base and the shared libraries they load.
with_libs() {
  local dir=$1 p l; shift
  for p in "$@"; do
    mkdir -p "$dir$(dirname "$p")"; cp -a "$BASE$p" "$dir$p"
    for l in $(chroot "$BASE" ldd "$p" | grep -o '/[^ ]*'); do
      mkdir -p "$dir$(dirname "$l")"; cp -L "$BASE$l" "$dir$l"
    done
  done
}
mkimg() { bash hack/realnode/images/mkimage.sh "$@" >/dev/null; }
images() {
  local d c
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    d=$(one_binary "$ASSETS/$c")
    mkimg "registry.k8s.io/$c:$K8S_VERSION" "$d" "$I/$c.tar"
  done
  d=$(one_binary "$ASSETS/etcd" "$ASSETS/etcdctl")
  mkimg "registry.k8s.io/etcd:$ETCD_TAG" "$d" "$I/etcd.tar"
  # kube-proxy runs nftables mode (cluster.yaml) through Debian's nft, and cleans iptables leftovers
  # through iptables-nft: both from the base, with their libraries and xtables extensions.
  d=$(one_binary "$ASSETS/kube-proxy")
  with_libs "$d" /usr/sbin/nft /usr/sbin/xtables-nft-multi
  mkdir -p "$d/usr/lib/x86_64-linux-gnu"
  cp -a "$BASE/usr/lib/x86_64-linux-gnu/xtables" "$d/usr/lib/x86_64-linux-gnu/"
  for l in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    ln -s xtables-nft-multi "$d/usr/sbin/$l"
  done
  mkimg "registry.k8s.io/kube-proxy:$K8S_VERSION" "$d" "$I/kube-proxy.tar"
  # As the upstream image: nonroot, with the file capability to bind :53.
  d=$(one_binary "$COREDNS_BIN")
  setcap cap_net_bind_service=+ep "$d/usr/local/bin/coredns"
  mkimg "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" "$d" "$I/coredns.tar" '["/usr/local/bin/coredns"]' 65532
  d=$(mktemp -d "$I/root.XXXX")
  (cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$d/pause" ./hack/realnode/images/pause)
  mkimg "$PAUSE" "$d" "$I/pause.tar" '["/pause"]' 65535
  rm -rf "$I"/root.*
}
timed "control-plane images" images

# Every image kubeadm will ask for, with the cluster's own configuration, must be among them.
grep -q "imageTag: \"$ETCD_TAG\"" hack/kind/cluster.yaml || die "hack/kind/cluster.yaml must set etcd.local.imageTag \"$ETCD_TAG\" (ETCD_VERSION)"
want=$("$ASSETS/kubeadm" config images list --config <(printf '%s\n' \
  'apiVersion: kubeadm.k8s.io/v1beta4' 'kind: ClusterConfiguration' "kubernetesVersion: $K8S_VERSION" \
  'etcd:' '  local:' "    imageTag: \"$ETCD_TAG\"") 2>/dev/null)
have=$(for t in "$I"/*.tar; do tar -xOf "$t" manifest.json | jq -r '.[].RepoTags[]'; done)
for w in $want; do grep -qx "$w" <<<"$have" || die "kubeadm wants $w; the node image would not have it (have: $have)"; done

# A containerd of the node's version, on the node's /var/lib/containerd, imports them as kind's
# `kind load image-archive` does (ctr -n k8s.io images import --all-platforms; the archives are named,
# so no --digests images).
preload() {
  local s t
  s=$(mktemp -d /tmp/kind-node-ctrd.XXXX)
  CTRD_DIR=$s
  printf '%s\n' 'version = 2' "root = \"$N/var/lib/containerd\"" "state = \"$s/state\"" \
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]' '[grpc]' "  address = \"$s/sock\"" >"$s/config.toml"
  containerd --config "$s/config.toml" >"$s/log" 2>&1 &
  CTRD_PID=$!
  for _ in $(seq 100); do [ -S "$s/sock" ] && ctr -a "$s/sock" version >/dev/null 2>&1 && break; sleep 0.1; done
  for t in "$I"/*.tar; do
    ctr -a "$s/sock" -n k8s.io images import --all-platforms --snapshotter overlayfs "$t" >/dev/null ||
      { cat "$s/log" >&2; die "ctr import $t failed"; }
  done
  ctr -a "$s/sock" -n k8s.io images ls -q | grep -v '^sha256:' | sed 's/^/  /' >&2
  cleanup
}
timed "pre-load images into the node's containerd" preload

# ---- 6. the image (ENTRYPOINT, env and stop signal of kind's base image). The storage is hack/image.sh's:
#      take its lock, since its exit removes every working container there (image-offline.md, pitfall 6).
commit() {
  local c m
  c=$(buildah from scratch)
  WORKING=$c
  m=$(buildah mount "$c")
  cp -a "$N/." "$m/"
  buildah umount "$c" >/dev/null
  buildah config --entrypoint '["/usr/local/bin/entrypoint", "/sbin/init"]' --cmd '' --env container=docker \
    --stop-signal SIGRTMIN+3 --label "fig-injector.kind-node.stamp=$STAMP" "$c"
  buildah commit -q "$c" "$NODE_IMAGE" >/dev/null
  cleanup
}
exec 9>"$CONTAINERS_WORK/lock"
flock 9
old=$(podman image inspect --format '{{.Id}}' "$NODE_IMAGE" 2>/dev/null || true)
timed "commit $NODE_IMAGE" commit
[ -z "$old" ] || podman rmi "$old" >/dev/null 2>&1 || true # the previous build (1.5 GB), now untagged
rm -rf "$N"
log "ok: $NODE_IMAGE ($(podman image inspect --format '{{.Size}}' "$NODE_IMAGE") bytes), stamp $STAMP"
