#!/usr/bin/env bash
# hack/realnode/down.sh — stop exactly what up.sh started (same NODE_STATE), by recorded PIDs whose command
# line names NODE_STATE, and undo its host changes: pods (via the API, then via containerd), containerd shims
# of *our* socket, kubelet, containerd, svcproxy, kube-scheduler, kube-controller-manager, kube-apiserver,
# etcd; mounts under NODE_STATE; cni-* netns our containerd created; the two links (node device with the
# ClusterIPs, pod bridge); the /$CG_ROOT cgroups; the sysctls the kubelet changed; the kubelet's KUBE-*
# canary chains; hard-coded host paths that did not exist before up.sh. Keeps logs, PKI and the caches.
# Ends by checking all of that and prints "nothing left", or what is left and exits 1. Idempotent.
# If another kubelet runs on this machine, shared host paths, sysctls and KUBE-* chains are left alone.
set -uo pipefail
S=${NODE_STATE:-/tmp/fig-injector-realnode}
[ -d "$S" ] || { echo "realnode down: nothing at $S"; exit 0; }
S=$(cd "$S" && pwd -P)
# shellcheck source=hack/versions.sh
. "$(cd "$(dirname "$0")/../.." && pwd -P)/hack/versions.sh"; B=$ASSETS
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [[ $st != Z* ]]; }
ours() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF -- "$S/"; }
stop() { # stop NAME [grace seconds]
  local f=$S/$1.pid pid; [ -f "$f" ] || return 0; pid=$(cat "$f")
  if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && ours "$pid"; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 $((${2:-10} * 20))); do alive "$pid" || break; sleep 0.05; done
    alive "$pid" && { echo "realnode down: $1 ($pid) SIGKILL" >&2; kill -KILL "$pid" 2>/dev/null; }
    echo "realnode down: stopped $1 ($pid)"
  fi
  rm -f "$f"
}
t0=$SECONDS
CTR=$(cat "$S/ctr.path" 2>/dev/null || command -v ctr)
SOCK=$S/containerd/containerd.sock
# 0. our containers' IDs (for the CNI result cache in /var/lib/cni, which only a CNI DEL would clean)
if [ -S "$SOCK" ] && [ -f "$S/containerd.pid" ] && alive "$(cat "$S/containerd.pid")"; then
  "$CTR" -a "$SOCK" -n k8s.io containers ls -q 2>/dev/null >>"$S/sandbox.ids"
fi
# 1. pods: graceful through the API while kubelet runs
if [ -f "$S/kubelet.pid" ] && alive "$(cat "$S/kubelet.pid")" && [ -f "$S/kubeconfig" ]; then
  KUBECONFIG=$S/kubeconfig timeout 60 "$B/kubectl" delete pods --all -A --grace-period=1 --wait=true >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do  # wait for the kubelet to stop the sandboxes (CNI DEL, unmounts); removal is GC's job
    "$CTR" -a "$SOCK" -n k8s.io tasks ls 2>/dev/null | grep -q RUNNING || break; sleep 0.2; done
  echo "realnode down: pods deleted after $((SECONDS - t0))s"
fi
stop kubelet 15
# 2. whatever containers are left: kill their tasks through our containerd
if [ -S "$SOCK" ] && [ -f "$S/containerd.pid" ] && alive "$(cat "$S/containerd.pid")"; then
  for c in $("$CTR" -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do "$CTR" -a "$SOCK" -n k8s.io tasks kill -s KILL "$c" >/dev/null 2>&1; done
  sleep 0.5
  for c in $("$CTR" -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do "$CTR" -a "$SOCK" -n k8s.io tasks delete -f "$c" >/dev/null 2>&1; done
  for c in $("$CTR" -a "$SOCK" -n k8s.io containers ls -q 2>/dev/null); do "$CTR" -a "$SOCK" -n k8s.io containers rm "$c" >/dev/null 2>&1; done
fi
stop containerd 10
# 3. shims started for our socket (their command line names it); by PID
for d in /proc/[0-9]*; do
  pid=${d#/proc/}
  cmd=$(tr '\0' ' ' 2>/dev/null <"$d/cmdline") || continue
  case $cmd in *containerd-shim*"$SOCK"*) kill -KILL "$pid" 2>/dev/null && echo "realnode down: killed shim $pid";; esac
done
stop svcproxy 5
stop scheduler 10
stop controller-manager 10
stop apiserver 10
stop etcd 10
# 4. mounts under the state dir (emptyDir tmpfs, projected volumes, overlay rootfs, shm), deepest first
for _ in 1 2 3; do
  m=$(awk -v s="$S/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | sort -r)
  [ -n "$m" ] || break
  for x in $m; do umount "$x" 2>/dev/null || umount -l "$x" 2>/dev/null; done
done
# another kubelet on this machine (not ours: ours is stopped by now) uses the same hard-coded host paths,
# sysctls and canary chains: then leave those alone (a Docker engine's own containerd does not count)
others=""
for d in /proc/[0-9]*; do
  [ "$(cat "$d/comm" 2>/dev/null)" = kubelet ] && others="$others ${d#/proc/}"
done
[ -n "$others" ] && echo "realnode down: another kubelet running (pids$others): shared host paths, sysctls, chains left alone"
# 5. network namespaces our containerd created (names cni-*, not present before up.sh), links, addresses
#    (with netns_mounts_under_state_dir they live under $S and were unmounted above; this is a fallback)
if [ -f "$S/netns.before" ] && [ -z "$others" ]; then
  for f in /run/netns/cni-*; do
    [ -e "$f" ] || continue; n=${f##*/}
    grep -qx "$n" "$S/netns.before" || { umount "$f" 2>/dev/null; rm -f "$f"; echo "realnode down: removed netns $n"; }
  done
fi
LINKS=$(cat "$S/links" 2>/dev/null); CGR=$(cat "$S/cgroot" 2>/dev/null || echo realnode)
for l in $LINKS; do ip link show "$l" >/dev/null 2>&1 && ip link del "$l" && echo "realnode down: deleted link $l"; done
rm -f "$S/links"
# 5b. hard-coded host paths: CNI result cache of our containers, kubelet's /var/log/containers links into
#     $S, the device-plugin socket; then the dirs/lock files that did not exist before up.sh (if empty)
if [ -f "$S/sandbox.ids" ]; then
  while read -r id; do [ -n "$id" ] && rm -f /var/lib/cni/results/*-"$id"-*; done <"$S/sandbox.ids"; rm -f "$S/sandbox.ids"
fi
for l in /var/log/containers/*.log; do [ -L "$l" ] && case $(readlink "$l") in "$S"/*) rm -f "$l";; esac; done
if [ -f "$S/hostpaths.before" ] && [ -z "$others" ]; then
  grep -qx /var/lib/kubelet/device-plugins "$S/hostpaths.before" || rm -f /var/lib/kubelet/device-plugins/kubelet.sock
  grep -qx /etc/cni/net.d/cni.lock "$S/hostpaths.before" || rm -f /etc/cni/net.d/cni.lock
fi
if [ -f "$S/hostpaths.before" ] && [ -z "$others" ]; then
  for p in /var/lib/kubelet/device-plugins /var/lib/kubelet /var/log/containers /var/lib/cni/results /var/lib/cni \
           /etc/cni/net.d /etc/cni /run/containerd/s /run/containerd/runc/k8s.io /run/containerd/runc /run/containerd/fifo /run/containerd; do
    grep -qx "$p" "$S/hostpaths.before" || rmdir "$p" 2>/dev/null || true
  done
fi
# 6. cgroups under /$CG_ROOT (depth first)
for c in /sys/fs/cgroup/*/"$CGR" /sys/fs/cgroup/"$CGR"; do
  [ -d "$c" ] || continue
  find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
  [ -d "$c" ] && echo "realnode down: could not remove $c" >&2
done
# 7. sysctls the kubelet changed, and its iptables canary chains
# (skipped while another kubelet runs: rerun down.sh once it is gone)
if [ -f "$S/sysctl.saved" ] && [ -z "$others" ]; then
  while IFS= read -r kv; do [ -n "$kv" ] && sysctl -q -w "$kv" >/dev/null 2>&1; done <"$S/sysctl.saved"
fi
kube_chains() { # the KUBE-* chains now present, as "iptables TABLE CHAIN" lines
  local ipt t
  for ipt in iptables ip6tables; do command -v $ipt >/dev/null || continue
    for t in mangle nat filter; do
      $ipt -w -t $t -S 2>/dev/null | awk -v t=$t -v i=$ipt '$1=="-N" && $2 ~ /^KUBE-/ {print i, t, $2}'
    done
  done
}
new_chains() { kube_chains | grep -vxF -f "$S/kube-chains.before" 2>/dev/null || true; }
if [ -f "$S/kube-chains.before" ] && [ -z "$others" ]; then
  new_chains | while read -r ipt t ch; do
    # rules elsewhere that jump to it (the kubelet hooks KUBE-FIREWALL into INPUT and OUTPUT) go first
    $ipt -w -t "$t" -S 2>/dev/null | awk -v c="$ch" '$1 == "-A" && $2 != c && / -j / && $NF == c' | while read -r _ rule; do
      # shellcheck disable=SC2086 # the rule's words, as iptables -S printed them
      $ipt -w -t "$t" -D $rule
    done
    $ipt -w -t "$t" -F "$ch" >/dev/null 2>&1 && $ipt -w -t "$t" -X "$ch" >/dev/null 2>&1 && echo "realnode down: removed $ipt -t $t $ch"
  done
fi
rm -rf "$S/etcd-data" "$S/containerd/root" "$S/containerd/state" "$S/kubelet/root" "$S/cni/ipam" "$S/env"
# 8. verify: nothing of ours left
left=0
for d in /proc/[0-9]*; do
  tr '\0' ' ' 2>/dev/null <"$d/cmdline" | grep -qF -- "$S/" && { echo "realnode down: LEFT process ${d#/proc/}" >&2; left=1; }
done
grep -qF -- " $S/" /proc/self/mountinfo && { echo "realnode down: LEFT mounts under $S" >&2; left=1; }
ls -d /sys/fs/cgroup/*/"$CGR" /sys/fs/cgroup/"$CGR" >/dev/null 2>&1 && { echo "realnode down: LEFT cgroups /$CGR" >&2; left=1; }
for l in $LINKS; do ip link show "$l" >/dev/null 2>&1 && { echo "realnode down: LEFT link $l" >&2; left=1; }; done
if [ -z "$others" ]; then
  if [ -f "$S/sysctl.saved" ]; then
    while IFS='=' read -r k v; do
      [ "$(sysctl -n "$k")" = "$v" ] || { echo "realnode down: LEFT sysctl $k=$(sysctl -n "$k") (was $v)" >&2; left=1; }
    done <"$S/sysctl.saved"
  fi
  [ -f "$S/kube-chains.before" ] && [ -n "$(new_chains)" ] && { echo "realnode down: LEFT chains: $(new_chains | tr '\n' ' ')" >&2; left=1; }
  [ $left = 0 ] && rm -f "$S/sysctl.saved" "$S/kube-chains.before"
fi
echo "realnode down: done in $((SECONDS - t0))s$([ $left = 0 ] && echo ', nothing left')"
exit $left
