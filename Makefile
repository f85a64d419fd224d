# fig-injector — every entry point a developer or CI needs.
#   make demo   run the agent against the built-in emulators (README, first command)
#   make test   the whole test suite (README, second command; .ci/run calls it)
#   make bench  benchmarks → docs/benchmarks.md
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
PKGS := ./...

.PHONY: demo test check unit race e2e image realnode kind bench build clean

demo:
	$(GO) run ./cmd/fig-injector dev --demo

# bin/fig-injector is the product image's binary; bin/fig-injector-agent is the agent image's
# (the same command without the webhook and the emulators).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/fig-injector ./cmd/fig-injector
	CGO_ENABLED=0 $(GO) build -trimpath -tags agentonly -ldflags "$(LDFLAGS)" -o bin/fig-injector-agent ./cmd/fig-injector

test: check unit race e2e image realnode kind
	@echo "make test: all suites passed"

check:
	@bash hack/check.sh

unit:
	$(GO) test -count=1 $(PKGS)

# The packages whose correctness depends on concurrency run again under the race detector.
race:
	$(GO) test -count=1 -race ./injector/agent/... ./injector/output/... ./injector/watch/... ./injector/source/... ./injector/webhook/... ./injector/relay/...

e2e:
	@bash hack/e2e.sh

image:
	@bash hack/image.sh

# A real single node (hack/realnode: etcd, kube-apiserver, controller-manager, scheduler, containerd,
# kubelet) running the images `make image` built: the kind walkthrough, then test/realnode; the node is
# always taken down and checked to leave nothing behind. Needs root.
realnode: image
	@bash hack/realnode/test.sh

# kind itself (hack/kind): a kind node image built offline (hack/kind/node-image.sh), `kind create cluster`
# with the podman provider, then examples/kind/up.sh unmodified (it builds and loads the images itself);
# the cluster is deleted and checked to leave nothing behind. Needs root; runs after realnode, never beside
# it (hack/kind/test.sh takes /tmp/fig-injector-realnode.lock).
kind: image
	@bash hack/kind/test.sh

bench:
	@bash hack/bench.sh

clean:
	rm -rf bin dist
