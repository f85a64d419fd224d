// Package injector holds no code: its subpackages are the product, laid out
// along the path the data takes.
//
//	source/fig ─┐  (Fig settings, mapped to .NET keys)
//	            ├─► merge ─► output ─► file on the shared volume ─► notify
//	source/keyvault ┘  (secrets, with the pod's workload identity via azure)
//
//	agent   drives the path: polls, backoff, coalescing, last good state
//	watch   re-renders when config, template or secret files change
//	status  /healthz, /readyz, /metrics
//	inject  pod + annotations → mutated pod (pure); webhook is its HTTP shell
//	dev     emulators of the Fig API, Entra ID and Key Vault
//	rules   the input rules config, inject and the sources share (names,
//	        formats, file modes, signals, strict YAML)
//
// layout_test.go enforces which package may import which (STYLE.md §5, on
// the real package graph), so the pure core (merge, output) never learns
// about HTTP, Azure or Kubernetes.
package injector
