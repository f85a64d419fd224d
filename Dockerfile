# fig-injector: one static binary (agent, webhook, render, dev, version) on a distroless nonroot base.
#
#   docker build --build-arg VERSION=v1.2.3 -t ghcr.io/fig-injector/fig-injector:v1.2.3 .
#   docker build --build-arg VERSION=v1.2.3 --build-arg TAGS=agentonly \
#     -t ghcr.io/fig-injector/fig-injector-agent:v1.2.3 .
#
# The second is the image injected into every pod: the same binary built with the agentonly tag,
# without the webhook and the emulators (about 15 MB instead of 24, and less resident memory in
# every pod). The chart uses <image.repository>-agent for the agent unless agent.image is set.
#
# The two base images are build arguments so a machine that cannot pull them can supply local
# equivalents: hack/image.sh builds this file with buildah, --pull-never and --network none against
# locally made images (a Debian Go toolchain image and a distroless-like static:nonroot base).
ARG GO_IMAGE=golang:1.26
ARG BASE_IMAGE=gcr.io/distroless/static-debian12:nonroot

FROM ${GO_IMAGE} AS build
WORKDIR /src
# Modules first, in their own layer, so a source edit does not download them again. Offline builds
# mount a populated module cache at /go/pkg/mod, which makes this step a no-op.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG TAGS=""
# CGO_ENABLED=0: a static binary that needs no libc, so the base needs no shell or loader.
# -trimpath and -buildvcs=false: no build-machine paths and no VCS lookup (.git is not in the context),
# so the same sources give the same binary. -s -w strips symbol and DWARF tables (about a third of the size).
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false -tags "${TAGS}" \
      -ldflags "-s -w -X main.version=${VERSION}" -o /out/fig-injector ./cmd/fig-injector

FROM ${BASE_IMAGE}
COPY --from=build /out/fig-injector /fig-injector
# Numeric, so the kubelet can enforce runAsNonRoot without resolving a user name.
USER 65532:65532
ENTRYPOINT ["/fig-injector"]
