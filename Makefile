# ironlb: a bare-metal LoadBalancer for Kubernetes. `make help` lists the targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO ?= go
# Everything built or downloaded for the tools and tests lives here, outside
# the work tree, and is reused across runs.
export IRONLB_CACHE ?= $(HOME)/.cache/ironlb
TOOLS := $(IRONLB_CACHE)/tools
CONTROLLER_GEN := $(TOOLS)/controller-gen
GOLANGCI_LINT := $(TOOLS)/golangci-lint
HELM := $(TOOLS)/helm
# How long each fuzz target runs in `make test`; `make fuzz FUZZTIME=5m` digs deeper.
FUZZTIME ?= 10s

##@ General

.PHONY: help
help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} \
		/^[a-zA-Z_-]+:.*?##/ { printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2 } \
		/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code for the API types.
	$(CONTROLLER_GEN) object paths=./api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRDs and the RBAC (from +kubebuilder:rbac markers) under config/, and the chart's copies.
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GEN) rbac:roleName=ironlb-controller paths=./controller/... output:rbac:artifacts:config=config/rbac/controller
	$(CONTROLLER_GEN) rbac:roleName=ironlb-speaker paths=./speaker/... output:rbac:artifacts:config=config/rbac/speaker
	@# The Helm chart carries copies: a chart cannot read files outside itself.
	mkdir -p charts/ironlb/crds charts/ironlb/files/rbac
	cp config/crd/bases/*.yaml charts/ironlb/crds/
	cp config/rbac/controller/role.yaml charts/ironlb/files/rbac/controller.yaml
	cp config/rbac/speaker/role.yaml charts/ironlb/files/rbac/speaker.yaml
	cp config/prometheus/rules.yaml charts/ironlb/files/prometheus-rules.yaml

.PHONY: docs
docs: ## Generate docs/reference.md from the CRDs.
	$(GO) run ./hack/crdref

.PHONY: build
build: ## Compile every package and command.
	$(GO) build ./...

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint (config in .golangci.yml).
	$(GOLANGCI_LINT) run ./...

.PHONY: verify
verify: $(CONTROLLER_GEN) lint ## Fail on stale generated code, gofmt, go vet, untidy go.mod or lint findings.
	hack/verify.sh

##@ Lab

LAB_BIN := $(IRONLB_CACHE)/bin

.PHONY: lab
lab: controlplane labdeps ## Run ironlb on the embedded lab (routers, nodes, kube-proxy) in the background; prints how to look around.
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o $(LAB_BIN)/ ./speaker ./controller
	$(GO) build -o $(LAB_BIN)/ ./e2e/cmd/lab
	$(LAB_BIN)/lab -bin $(LAB_BIN) up

.PHONY: lab-down
lab-down: ## Stop the lab and remove all of it.
	$(GO) build -o $(LAB_BIN)/ ./e2e/cmd/lab
	$(LAB_BIN)/lab down

.PHONY: labdeps
labdeps: ## Install the Debian packages the lab needs (FRR, BIRD, nftables, ...) when missing.
	hack/labdeps.sh

##@ Test

.PHONY: test
test: verify test-go fuzz ## Run everything: verify, all tests with -race (unit, real apiserver, lab e2e), short fuzzing.

.PHONY: test-go
test-go: controlplane labdeps $(HELM) ## Run the Go tests with -race: unit, real apiserver, and end to end on the lab.
	HELM=$(HELM) KUBEBUILDER_ASSETS=$$(hack/controlplane.sh) $(GO) test -race -count=1 ./...

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZTIME (default 10s).
	hack/fuzz.sh $(FUZZTIME)

.PHONY: bench
bench: controlplane labdeps ## Run the benchmarks: pure packages, the controller on the real apiserver, the speaker on the lab.
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/... ./controller/internal/ipam/ ./speaker/internal/announce/
	KUBEBUILDER_ASSETS=$$(hack/controlplane.sh --print) $(GO) test -run='^$$' -bench=. -benchtime=1x -timeout=30m ./controller/internal/app/
	KUBEBUILDER_ASSETS=$$(hack/controlplane.sh --print) $(GO) test -run='^$$' -bench=. -benchtime=1x -timeout=60m ./e2e/

.PHONY: controlplane
controlplane: ## Build (once) and cache kube-apiserver, kube-proxy and etcd from the Go module proxy.
	hack/controlplane.sh >/dev/null

##@ Images

.PHONY: image
image: ## Build static controller and speaker images FROM scratch as OCI layouts in $IRONLB_CACHE/images; no Docker needed.
	hack/image.sh

##@ Tools

.PHONY: tools
tools: $(CONTROLLER_GEN) $(GOLANGCI_LINT) $(HELM) controlplane ## Build the pinned tools (hack/tools, hack/lint, hack/helm) and the control plane.

$(CONTROLLER_GEN): hack/tools/go.mod hack/tools/go.sum
	$(GO) build -C hack/tools -o $@ sigs.k8s.io/controller-tools/cmd/controller-gen

$(HELM): hack/helm/go.mod hack/helm/go.sum
	$(GO) build -C hack/helm -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v3.22.0" -o $@ helm.sh/helm/v3/cmd/helm

$(GOLANGCI_LINT): hack/lint/go.mod hack/lint/go.sum
	$(GO) build -C hack/lint -o $@ github.com/golangci/golangci-lint/v2/cmd/golangci-lint
