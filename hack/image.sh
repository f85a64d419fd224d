#!/usr/bin/env bash
# hack/image.sh — build the Dockerfile with no Docker engine and no registry, then prove the image.
#
# CI machines here run no Docker engine and can pull no base image, so this builds the real
# Dockerfile with Debian's buildah against locally made base images (the tested recipe of
# image-offline.md), offline (--pull-never, --network none, modules from the host's cache), and then
# checks what the product promises, for both images the Dockerfile makes — the product image (webhook,
# agent, dev) and the agent image injected into every pod (TAGS=agentonly): the binary runs and prints
# its version, the image runs as 65532:65532 with ENTRYPOINT ["/fig-injector"], has no shell, and is
# under its size limit (the agent image under SPEC §5's 20 MB). It also builds the sample app's
# Dockerfile (examples/apps/sampleapp), and leaves all three as docker archives in dist/ for
# `kind load image-archive`.
#
#   hack/image.sh                       (make image)  as root, Debian 12; first run about 1-2 minutes
#   VERSION=v1.2.3 IMAGE=localhost/fig-injector:v1.2.3 hack/image.sh
#
# Environment (all optional):
#   VERSION        stamped into the binary (default: git describe, else "dev")
#   IMAGE          product image name (default localhost/fig-injector:dev)
#   AGENT_IMAGE    agent image name (default: IMAGE's repository with -agent, same tag)
#   SAMPLE_IMAGE   sample app image name (default localhost/fig-sampleapp:dev)
#   MAX_BYTES      size limit of the product image, unpacked (default 30000000: a regression guard; the
#                  webhook's Kubernetes API types make it ~26 MB)
#   AGENT_MAX_BYTES size limit of the agent image, unpacked (default 20000000: SPEC §5)
#   DEBIAN_MIRROR  for debootstrap (default: the first Debian archive this machine's apt sources use)
#   FIG_INJECTOR_CACHE / XDG_CACHE_HOME   cache root; state lives in <cache>/fig-injector/image
#
# Everything buildah and podman keep (storage, run state, config, the debootstrapped rootfs; about
# 600 MB) stays in that cache directory: the machine's own container configuration is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
PROJ=$(pwd)
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
IMAGE=${IMAGE:-localhost/fig-injector:dev}
AGENT_IMAGE=${AGENT_IMAGE:-${IMAGE%:*}-agent:${IMAGE##*:}}
SAMPLE_IMAGE=${SAMPLE_IMAGE:-localhost/fig-sampleapp:dev}
MAX_BYTES=${MAX_BYTES:-30000000}
AGENT_MAX_BYTES=${AGENT_MAX_BYTES:-20000000}
CACHE=${FIG_INJECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fig-injector}
WORK=$CACHE/image
DIST=$PROJ/dist
T0=$SECONDS

log() { printf '[image %3ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() { printf '[image] FAIL: %s\n' "$*" >&2; exit 1; }
# timed LABEL CMD...: runs CMD and logs how long it took.
timed() { local label=$1 started=$SECONDS; shift; "$@"; log "$label: $((SECONDS - started))s"; }

[ "$(id -u)" = 0 ] || die "run as root: buildah and podman are used rootful with their state in $WORK"
command -v go >/dev/null || die "go not found: the build image is made from this machine's Go toolchain"

# 1. Tools, from Debian. runc, not crun: crun refuses this kernel's hybrid cgroups (image-offline.md, pitfall 1).
install_tools() {
  local need='' t
  for t in buildah podman runc debootstrap; do command -v "$t" >/dev/null || need=1; done
  [ -z "$need" ] && return 0
  log "installing buildah podman runc debootstrap from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah podman runc debootstrap >/dev/null
}
timed "tools" install_tools

# 2. Private container configuration (hack/containers-env.sh): overlay storage in the cache, runc, ulimits
#    the host allows, no registry to search; shared with hack/kind, whose podman sees these images.
mkdir -p "$DIST"
CONTAINERS_WORK=$WORK
# shellcheck source=hack/containers-env.sh
. hack/containers-env.sh
DEBIAN_MIRROR=${DEBIAN_MIRROR:-$(apt_mirror || true)}
[ -n "$DEBIAN_MIRROR" ] || { echo "no Debian mirror found in /etc/apt: set DEBIAN_MIRROR" >&2; exit 1; }
exec 9>"$WORK/lock"
flock 9 # one build at a time per cache; a second run waits here
# A failed build leaves mounted working containers behind (pitfall 6).
trap 'buildah rm --all >/dev/null 2>&1 || true' EXIT

# 3. Local base images. The golang image is tagged with the full toolchain version, so a new host Go
#    makes a new image instead of silently building with the old one.
GO_IMAGE=localhost/golang:$(go env GOVERSION | sed -E 's/^go//')
BASE_IMAGE=localhost/static:nonroot
R=$WORK/rootfs
S=$WORK/staticfs
have() { buildah inspect --type image "$1" >/dev/null 2>&1; }

rootfs() {
  [ -d "$R/etc/ssl/certs" ] && return 0
  log "debootstrap bookworm minbase into $R"
  rm -rf "$R" "$R.partial" # an interrupted debootstrap leaves only .partial behind
  debootstrap --variant=minbase --include=ca-certificates bookworm "$R.partial" "$DEBIAN_MIRROR" >/dev/null
  rm -rf "$R.partial"/var/cache/apt/archives/*.deb "$R.partial"/var/lib/apt/lists/*
  mv "$R.partial" "$R"
}

# Debian 12 minbase + this machine's Go toolchain: what golang:1.26 offers the build stage.
make_go_image() {
  local c m
  c=$(buildah from scratch)
  m=$(buildah mount "$c")
  cp -a "$R/." "$m/"
  mkdir -p "$m/usr/local" "$m/go"
  cp -a "$(go env GOROOT)" "$m/usr/local/go"
  chmod 1777 "$m/go"
  buildah umount "$c" >/dev/null
  buildah config --env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env GOPATH=/go --env GOTOOLCHAIN=local --workingdir /go "$c"
  buildah commit -q --timestamp 0 --rm "$c" "$GO_IMAGE" >/dev/null
}

# Like gcr.io/distroless/static-debian12:nonroot: passwd/group with nonroot 65532, Debian's CA bundle,
# zoneinfo, os-release, /tmp 1777, /home/nonroot; no shell, no libc, no package manager.
make_base_image() {
  local c m
  rm -rf "$S"
  mkdir -p "$S/etc/ssl/certs" "$S/tmp" "$S/home/nonroot" "$S/root" "$S/usr/share"
  printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin' \
    'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >"$S/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' 'nonroot:x:65532:' >"$S/etc/group"
  echo 'hosts: files dns' >"$S/etc/nsswitch.conf"
  cp "$R/etc/ssl/certs/ca-certificates.crt" "$S/etc/ssl/certs/"
  cp -a "$R/usr/share/zoneinfo" "$S/usr/share/"
  cp "$R/usr/lib/os-release" "$S/etc/"
  chmod 1777 "$S/tmp"
  chmod 700 "$S/root" "$S/home/nonroot"
  chown 65532:65532 "$S/home/nonroot"
  c=$(buildah from scratch)
  m=$(buildah mount "$c")
  cp -a "$S/." "$m/"
  buildah umount "$c" >/dev/null
  buildah config --user 65532:65532 --workingdir /home/nonroot \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt "$c"
  buildah commit -q --timestamp 0 --rm "$c" "$BASE_IMAGE" >/dev/null
}

if ! have "$GO_IMAGE" || ! have "$BASE_IMAGE"; then timed "debootstrap" rootfs; fi
have "$GO_IMAGE" || timed "base image $GO_IMAGE" make_go_image
have "$BASE_IMAGE" || timed "base image $BASE_IMAGE" make_base_image

# 4. Build offline. RUN steps get no network (pitfall 3: a fresh rootfs does not trust this machine's
#    HTTPS proxy CA anyway); modules come from the host's cache, downloaded here with the host's trust.
#    The mounts exist only during RUN: nothing of them lands in the image.
timed "go mod download" go mod download
GOMODCACHE=$(go env GOMODCACHE)
GOCACHE=$(go env GOCACHE)
mkdir -p "$GOMODCACHE" "$GOCACHE"
bud() { # bud IMAGE DOCKERFILE [extra args]
  local image=$1 file=$2
  shift 2
  buildah bud --pull-never --layers --timestamp 0 --network none --quiet \
    -v "$GOMODCACHE:/go/pkg/mod" -v "$GOCACHE:/root/.cache/go-build" \
    --build-arg GO_IMAGE="$GO_IMAGE" --build-arg BASE_IMAGE="$BASE_IMAGE" \
    -f "$file" -t "$image" "$@" "$PROJ" >/dev/null
}
timed "build $IMAGE (VERSION=$VERSION)" bud "$IMAGE" Dockerfile --build-arg VERSION="$VERSION"
timed "build $AGENT_IMAGE (VERSION=$VERSION)" bud "$AGENT_IMAGE" Dockerfile --build-arg VERSION="$VERSION" --build-arg TAGS=agentonly
timed "build $SAMPLE_IMAGE" bud "$SAMPLE_IMAGE" examples/apps/sampleapp/Dockerfile

# 5. Prove the product and agent images.
inspect() { podman image inspect --format "$2" "$1"; }
mb() { awk -v s="$1" 'BEGIN { printf "%.2f", s / 1e6 }'; }
check_product() { # check_product IMAGE MAX_BYTES
  local image=$1 max=$2 got user entrypoint size gz
  got=$(podman run --rm --network none "$image" version) || die "podman run $image version failed"
  [ "$got" = "$VERSION" ] || die "'$image version' printed '$got', want '$VERSION'"
  user=$(inspect "$image" '{{.Config.User}}')
  [ "$user" = "65532:65532" ] || die "$image Config.User is '$user', want 65532:65532"
  entrypoint=$(inspect "$image" '{{json .Config.Entrypoint}}')
  [ "$entrypoint" = '["/fig-injector"]' ] || die "$image Config.Entrypoint is $entrypoint, want [\"/fig-injector\"]"
  if podman run --rm --network none --entrypoint /bin/sh "$image" -c true >/dev/null 2>&1; then
    die "$image has a shell (/bin/sh): the base must be distroless static"
  fi
  size=$(inspect "$image" '{{.Size}}')
  # The limit applies to the unpacked size (what a node stores); the gzip size is what a pull transfers.
  gz=$(podman save --format docker-archive "$image" | gzip -c | wc -c)
  log "$image: version=$got user=$user entrypoint=$entrypoint no-shell" \
    "size=$size bytes ($(mb "$size") MB unpacked, $(mb "$gz") MB gzip; limit $(mb "$max") MB unpacked)"
  [ "$size" -le "$max" ] || die "$image is $size bytes, over the $max limit"
}
timed "checks $IMAGE" check_product "$IMAGE" "$MAX_BYTES"
timed "checks $AGENT_IMAGE" check_product "$AGENT_IMAGE" "$AGENT_MAX_BYTES"
# The agent image is the agent-only build: its webhook command refuses and says where the webhook is.
out=$(podman run --rm --network none "$AGENT_IMAGE" webhook 2>&1) && die "$AGENT_IMAGE runs the webhook: not the agentonly build"
case $out in *"agent-only build"*) ;; *) die "$AGENT_IMAGE webhook printed '$out', want the agent-only build's refusal" ;; esac

# 6. Prove the sample app image: it reads a mounted config and prints it with secrets masked.
check_sample() {
  local dir got user
  dir=$(mktemp -d)
  printf '%s\n' '{"Greeting":"hello","Db":{"Password":"hunter2"}}' >"$dir/appsettings.json"
  chmod 0755 "$dir"
  chmod 0444 "$dir/appsettings.json"
  got=$(podman run --rm --network none -v "$dir:/fig:ro" "$SAMPLE_IMAGE" --config /fig/appsettings.json --print) ||
    { rm -rf "$dir"; die "podman run $SAMPLE_IMAGE --print failed"; }
  rm -rf "$dir"
  case $got in *hunter2*) die "$SAMPLE_IMAGE printed a secret value: $got" ;; esac
  case $got in *'"Greeting": "hello"'*) ;; *) die "$SAMPLE_IMAGE printed '$got', want the Greeting" ;; esac
  user=$(inspect "$SAMPLE_IMAGE" '{{.Config.User}}')
  [ "$user" = "65532:65532" ] || die "$SAMPLE_IMAGE Config.User is '$user', want 65532:65532"
  log "$SAMPLE_IMAGE: user=$user size=$(inspect "$SAMPLE_IMAGE" '{{.Size}}') bytes, serves masked config"
}
timed "checks $SAMPLE_IMAGE" check_sample

# 7. Archives for `kind load image-archive` (or `ctr -n k8s.io images import`). podman save refuses
#    to write onto an existing archive (pitfall 5).
save() {
  rm -f "$DIST/fig-injector-image.tar" "$DIST/fig-injector-agent-image.tar" "$DIST/fig-sampleapp-image.tar"
  podman save --quiet --format docker-archive -o "$DIST/fig-injector-image.tar" "$IMAGE"
  podman save --quiet --format docker-archive -o "$DIST/fig-injector-agent-image.tar" "$AGENT_IMAGE"
  podman save --quiet --format docker-archive -o "$DIST/fig-sampleapp-image.tar" "$SAMPLE_IMAGE"
}
timed "save archives" save
log "ok: $IMAGE $(inspect "$IMAGE" '{{.Id}}' | cut -c1-12) -> dist/fig-injector-image.tar;" \
  "$AGENT_IMAGE $(inspect "$AGENT_IMAGE" '{{.Id}}' | cut -c1-12) -> dist/fig-injector-agent-image.tar;" \
  "$SAMPLE_IMAGE -> dist/fig-sampleapp-image.tar"
