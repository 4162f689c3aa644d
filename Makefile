# PatchMon (Go). `make run` builds everything and starts the server on its embedded
# defaults; `make test` runs every test. Both install what is missing on Debian/Ubuntu.

SHELL      := /bin/bash
GO         ?= go
BIN        := bin
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS    := -s -w -X github.com/patchmon-go/patchmon/patchmon.buildVersion=$(VERSION)
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT       ?= 3000
DATA_DIR   ?= $(CURDIR)/data
NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)

.PHONY: run build agent agents server web web-deps generate test test-go test-web test-e2e bench lint deps deps-test clean help

help:
	@echo "make run       build everything and start the server (embedded PostgreSQL, port $(PORT))"
	@echo "make test      run all tests (Go with -race, web unit tests, browser tests)"
	@echo "make test-e2e  build the server with the dashboard and run the browser tests"
	@echo "make build     build the dashboard and the binaries into $(BIN)/"
	@echo "make generate  regenerate code from openapi/patchmon.yaml"
	@echo "make web       build the dashboard into web/dist/app"
	@echo "make bench     run the Go benchmarks"
	@echo "make lint      go vet, gofmt check and the dashboard type check"

# --- system packages --------------------------------------------------------------------

# deps installs what running the server needs: PostgreSQL server binaries, and Node.js for
# the dashboard build when it is missing.
deps:
	@missing=""; \
	  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	  command -v node >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	  if [ -n "$$missing" ]; then \
	    echo "==> installing:$$missing"; \
	    $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  fi

# deps-test adds what the tests need: redis-server, Chromium for the browser tests,
# shellcheck, jq and dash for the enrollment script tests, curl and Python 3 with requests
# for the documented Integration API clients.
deps-test: deps
	@missing=""; \
	  command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	  command -v shellcheck >/dev/null 2>&1 || missing="$$missing shellcheck"; \
	  command -v jq >/dev/null 2>&1 || missing="$$missing jq"; \
	  command -v curl >/dev/null 2>&1 || missing="$$missing curl"; \
	  command -v dash >/dev/null 2>&1 || missing="$$missing dash"; \
	  python3 -c 'import requests' >/dev/null 2>&1 || missing="$$missing python3 python3-requests"; \
	  [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	  if [ -n "$$missing" ]; then \
	    echo "==> installing:$$missing"; \
	    $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  fi

# --- build ------------------------------------------------------------------------------

generate:
	$(GO) generate ./...
	@if [ -d web/node_modules ]; then cd web && npm run --silent gen:api; fi

web-deps:
	@if [ "$(NODE_MAJOR)" -lt 20 ]; then echo "Node.js 20 or newer is needed to build the dashboard (found: $(NODE_MAJOR))"; exit 1; fi
	@cd web && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; }

web: web-deps
	cd web && npm run --silent build

# agents cross-compiles the agent for every architecture the server hands out and puts the
# binaries (with a .version file each) where the server embeds them from.
AGENT_DIST  := pkg/inventory/agents/dist
AGENT_ARCHS := amd64 arm64 arm 386
agents:
	@if [ -d cmd/patchmon-agent ]; then \
	  for arch in $(AGENT_ARCHS); do \
	    echo "==> agent linux/$$arch"; \
	    CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -trimpath \
	      -ldflags '-s -w -X github.com/patchmon-go/patchmon/agentkit.buildVersion=$(VERSION)' \
	      -o $(AGENT_DIST)/patchmon-agent-linux-$$arch ./cmd/patchmon-agent || exit 1; \
	    echo '$(VERSION)' > $(AGENT_DIST)/patchmon-agent-linux-$$arch.version; \
	    sha256sum $(AGENT_DIST)/patchmon-agent-linux-$$arch | cut -d' ' -f1 > $(AGENT_DIST)/patchmon-agent-linux-$$arch.sha256; \
	  done; \
	else echo "==> cmd/patchmon-agent not present: the server is built without agent binaries"; fi

server: agents
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/patchmon-server ./cmd/patchmon-server

build: deps
	@if [ "$(NODE_MAJOR)" -ge 20 ]; then $(MAKE) --no-print-directory web; \
	  else echo "==> Node.js 20+ not found: building without the dashboard (the server will say how to add it)"; fi
	$(MAKE) --no-print-directory server

# run starts the server in the foreground; Ctrl-C stops it and its PostgreSQL. When run as
# root from a directory the postgres user cannot enter (for example under /root), the
# embedded database lives in /var/lib/patchmon instead.
run: build
	@data="$(DATA_DIR)"; \
	  if [ "$$(id -u)" = 0 ] && ! su -s /bin/sh postgres -c "test -x '$$(dirname "$$data")'" 2>/dev/null; then \
	    data=/var/lib/patchmon; echo "==> the postgres user cannot reach $(DATA_DIR); using $$data"; fi; \
	  echo "==> PatchMon on http://localhost:$(PORT)/  (first start: create the admin at http://localhost:$(PORT)/setup)"; \
	  echo "==> data directory: $$data — stop with Ctrl-C"; \
	  PORT=$(PORT) PATCHMON_DATA_DIR="$$data" exec ./$(BIN)/patchmon-server

# --- checks -----------------------------------------------------------------------------

test: deps-test test-go test-web test-e2e

test-go:
	$(GO) test -race -count=1 -timeout 30m ./...

test-web: web-deps
	cd web && npm test --silent

# test-e2e drives Debian's headless Chromium against a real server binary that embeds the
# freshly built dashboard, and runs the real agent binary against it. The single sign-on
# test signs in at zitadel's example OpenID provider, built here from its published module.
OIDC_OP := github.com/zitadel/oidc/v3/example/server@v3.52.0
test-e2e: web-deps
	$(MAKE) --no-print-directory web
	$(MAKE) --no-print-directory server
	$(MAKE) --no-print-directory agent
	@[ -x $(BIN)/oidc-op/server ] || GOBIN=$(CURDIR)/$(BIN)/oidc-op $(GO) install $(OIDC_OP)
	cd web && npm run --silent e2e

# agent builds bin/patchmon-agent for this machine; the browser tests run it against the
# test server.
agent:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w -X github.com/patchmon-go/patchmon/agentkit.buildVersion=$(VERSION)' \
	  -o $(BIN)/patchmon-agent ./cmd/patchmon-agent

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.gen\.go$$')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@if [ -d web/node_modules ]; then cd web && npm run --silent lint; fi

clean:
	rm -rf $(BIN) web/dist/app $(AGENT_DIST)/patchmon-agent-*
