#!/usr/bin/env bash
# hack/check.sh — static checks: gofmt, go vet, staticcheck, go mod tidy,
# and shellcheck over every script. (Import rules: injector/layout_test.go.)
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=$(bash hack/tools.sh)

echo "[check] gofmt"
bad=$(git ls-files -z '*.go' | xargs -0 gofmt -l)
[ -z "$bad" ] || { echo "gofmt would change: $bad" >&2; exit 1; }

echo "[check] no build outputs tracked"
# A compiled binary in the tree bloats every clone and every image build
# context; .gitignore keeps the usual ones out, this catches the rest.
bins=$(git ls-files -z | while IFS= read -r -d '' f; do
  [ -f "$f" ] && [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && echo "$f"
done || true)
[ -z "$bins" ] || { echo "compiled binaries are tracked (git rm --cached them): $bins" >&2; exit 1; }

echo "[check] go vet"
go vet ./...
go vet -tags e2e ./test/e2e/...
go vet -tags realnode ./test/realnode/...
go vet -tags agentonly ./cmd/...   # the agent image's build

echo "[check] staticcheck"
"$TOOLS/staticcheck" ./...
"$TOOLS/staticcheck" -tags agentonly ./cmd/...
"$TOOLS/staticcheck" -tags realnode ./test/realnode/...

echo "[check] go mod tidy"
cp go.mod /tmp/fig-injector-go.mod.bak; cp go.sum /tmp/fig-injector-go.sum.bak
go mod tidy
if ! git diff --quiet -- go.mod go.sum; then
  git diff -- go.mod go.sum >&2
  cp /tmp/fig-injector-go.mod.bak go.mod; cp /tmp/fig-injector-go.sum.bak go.sum
  echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit" >&2; exit 1
fi

echo "[check] shellcheck"
git ls-files -z '*.sh' | xargs -0 shellcheck

