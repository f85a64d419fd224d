//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// podFS is a stored pod's volumes, materialised as directories the way the
// kubelet would fill them: emptyDirs empty, Secrets and ConfigMaps from the
// API server, projected service-account tokens from its TokenRequest API.
type podFS struct {
	pod  *corev1.Pod
	dirs map[string]string // volume name → directory
}

// materialize creates a directory per volume of pod under root.
func materialize(t *testing.T, pod *corev1.Pod, root string) *podFS {
	t.Helper()
	ctx := context.Background()
	fs := &podFS{pod: pod, dirs: map[string]string{}}
	cs := env.cluster.client
	for _, v := range pod.Spec.Volumes {
		dir := filepath.Join(root, "volumes", v.Name)
		if err := os.MkdirAll(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		fs.dirs[v.Name] = dir
		switch {
		case v.EmptyDir != nil:
			if err := os.Chmod(dir, 0o777); err != nil { // as the kubelet creates it
				t.Fatal(err)
			}
		case v.Secret != nil:
			s, err := cs.CoreV1().Secrets(pod.Namespace).Get(ctx, v.Secret.SecretName, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("volume %s: %v", v.Name, err)
			}
			writeItems(t, dir, s.Data, v.Secret.Items)
		case v.ConfigMap != nil:
			cm, err := cs.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, v.ConfigMap.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("volume %s: %v", v.Name, err)
			}
			writeItems(t, dir, stringData(cm.Data), v.ConfigMap.Items)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				fs.project(t, dir, src)
			}
		default:
			t.Fatalf("volume %s: kind not materialised by the test", v.Name)
		}
	}
	return fs
}

func (fs *podFS) project(t *testing.T, dir string, src corev1.VolumeProjection) {
	t.Helper()
	ctx := context.Background()
	cs := env.cluster.client
	switch {
	case src.ServiceAccountToken != nil:
		sat := src.ServiceAccountToken
		var aud []string
		if sat.Audience != "" {
			aud = []string{sat.Audience}
		}
		tr, err := cs.CoreV1().ServiceAccounts(fs.pod.Namespace).CreateToken(ctx, fs.pod.Spec.ServiceAccountName, &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{Audiences: aud, ExpirationSeconds: sat.ExpirationSeconds},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("token request: %v", err)
		}
		writeFile(t, filepath.Join(dir, sat.Path), []byte(tr.Status.Token))
	case src.ConfigMap != nil:
		cm, err := cs.CoreV1().ConfigMaps(fs.pod.Namespace).Get(ctx, src.ConfigMap.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) { // kube-root-ca.crt: no controller-manager publishes it here
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		writeItems(t, dir, stringData(cm.Data), src.ConfigMap.Items)
	case src.DownwardAPI != nil:
		for _, item := range src.DownwardAPI.Items {
			if item.FieldRef != nil && item.FieldRef.FieldPath == "metadata.namespace" {
				writeFile(t, filepath.Join(dir, item.Path), []byte(fs.pod.Namespace))
			}
		}
	}
}

func stringData(m map[string]string) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range m {
		out[k] = []byte(v)
	}
	return out
}

func writeItems(t *testing.T, dir string, data map[string][]byte, items []corev1.KeyToPath) {
	t.Helper()
	if len(items) == 0 {
		for k := range data {
			items = append(items, corev1.KeyToPath{Key: k, Path: k})
		}
	}
	for _, it := range items {
		b, ok := data[it.Key]
		if !ok {
			t.Fatalf("key %q missing", it.Key)
		}
		writeFile(t, filepath.Join(dir, it.Path), b)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// hostPath maps a path inside container c to the materialised directory of
// the volume mounted there ("" when no mount covers it).
func (fs *podFS) hostPath(c *corev1.Container, p string) string {
	mounts := slices.Clone(c.VolumeMounts)
	slices.SortFunc(mounts, func(a, b corev1.VolumeMount) int { return len(b.MountPath) - len(a.MountPath) })
	for _, m := range mounts {
		mp := strings.TrimSuffix(m.MountPath, "/")
		if p == mp || strings.HasPrefix(p, mp+"/") {
			return filepath.Join(fs.dirs[m.Name], m.SubPath, strings.TrimPrefix(p, mp))
		}
	}
	return ""
}

// mapPaths rewrites every absolute path inside s that lies under one of c's
// mount paths (the config YAML in env, flags like --state-dir=…), so the
// process sees the materialised volumes where the container would.
func (fs *podFS) mapPaths(c *corev1.Container, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '/' && (i == 0 || !isPathByte(s[i-1])) {
			j := i
			for j < len(s) && isPathByte(s[j]) {
				j++
			}
			if h := fs.hostPath(c, s[i:j]); h != "" {
				b.WriteString(h)
				i = j
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func isPathByte(c byte) bool {
	return c == '/' || c == '.' || c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// command builds the process container c of the stored pod would run:
// command[0] is the image's binary (replaced by the one built from this
// tree), args and env exactly as stored, with paths mapped into the volumes.
// Nothing else from the test's environment is passed.
func (fs *podFS) command(ctx context.Context, t *testing.T, c *corev1.Container, binary string) *exec.Cmd {
	t.Helper()
	if len(c.Command) == 0 {
		t.Fatalf("container %s has no command", c.Name)
	}
	args := []string{}
	for _, a := range append(slices.Clone(c.Command[1:]), c.Args...) {
		args = append(args, fs.mapPaths(c, a))
	}
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = []string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			t.Fatalf("env %s uses valueFrom, not mapped by the test", e.Name)
		}
		cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%s", e.Name, fs.mapPaths(c, e.Value)))
	}
	return cmd
}
