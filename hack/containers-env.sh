#!/usr/bin/env bash
# hack/containers-env.sh — sourced, not run: the private buildah/podman configuration the image builds
# (hack/image.sh) and the kind cluster (hack/kind) share, so images built by one are seen by the other
# and the machine's own container configuration (/etc/containers, /var/lib/containers) is not touched.
#   overlay storage and run state in $CONTAINERS_WORK (default <cache>/fig-injector/image)
#   runc, not crun: crun refuses this kernel's hybrid cgroups (image-offline.md, pitfall 1)
#   ulimits the host allows (pitfall 2); no registry to search; file-based events (no journald needed)
CACHE=${FIG_INJECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fig-injector}
CONTAINERS_WORK=${CONTAINERS_WORK:-$CACHE/image}
mkdir -p "$CONTAINERS_WORK/cfg"
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/storage"\nrunroot = "%s/run"\n' "$CONTAINERS_WORK" "$CONTAINERS_WORK" \
  >"$CONTAINERS_WORK/cfg/storage.conf"
printf '%s\n' '[containers]' 'default_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]' \
  '[engine]' 'runtime = "runc"' 'cgroup_manager = "cgroupfs"' 'events_logger = "file"' >"$CONTAINERS_WORK/cfg/containers.conf"
echo 'unqualified-search-registries = []' >"$CONTAINERS_WORK/cfg/registries.conf"
export CONTAINERS_STORAGE_CONF=$CONTAINERS_WORK/cfg/storage.conf CONTAINERS_CONF=$CONTAINERS_WORK/cfg/containers.conf \
  CONTAINERS_REGISTRIES_CONF=$CONTAINERS_WORK/cfg/registries.conf
# apt_mirror prints the Debian archive this machine's apt uses (deb822 .sources or one-line .list): the
# mirror debootstrap makes the local base images from.
apt_mirror() {
  { sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null
    sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
  } | tr ' ' '\n' | grep -E '^https?://.*/debian/?$' | head -n 1
}
