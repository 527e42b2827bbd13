# Billfold. Two commands set up and use a fresh machine:
#   make run    installs what is missing, builds, opens the app
#   make test   installs what is missing, runs every test
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO            ?= go
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
TOOLS         := $(CURDIR)/.tools
WAILS_VERSION := v2.16.0
WAILS         := $(TOOLS)/bin/wails
STRIPE_MOCK   := github.com/stripe/stripe-mock@v0.183.0
OUT           := $(CURDIR)/build/out
BIN           := $(CURDIR)/build/bin/billfold
LDFLAGS       := -X main.version=$(VERSION)

# Debian packages: GTK + WebKitGTK 4.1 for the window, Xvfb + imagemagick for
# the window test, Chromium for the browser test, gnome-keyring + dbus for the
# real keyring test.
APT_PKGS := build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev \
            xvfb xauth x11-utils imagemagick chromium gnome-keyring dbus-x11 \
            procps psmisc curl fonts-dejavu-core

export PATH := $(TOOLS)/bin:$(PATH)

.PHONY: soak help run build dev test test-go test-keyring test-frontend test-e2e bench deps \
        deps-system deps-wails deps-frontend deps-spec bindings clean

help:
	@echo "make run    install what is missing, build, open Billfold"
	@echo "make test   install what is missing, run every test"
	@echo "make build  production build to build/bin/billfold"
	@echo "make dev    live-reloading development window (wails dev)"
	@echo "make bench  Go benchmarks (figures for BENCHMARKS.md)"

# ---------------------------------------------------------------- install
deps: deps-system deps-wails deps-frontend deps-spec

deps-system:
	@missing=$$(for p in $(APT_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:" $$missing; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages; run:"; echo "  sudo apt-get install -y $$missing"; exit 1; \
	  fi; \
	fi

$(WAILS):
	GOBIN=$(TOOLS)/bin $(GO) install github.com/wailsapp/wails/v2/cmd/wails@$(WAILS_VERSION)

deps-wails: $(WAILS)

frontend/node_modules/.installed: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

deps-frontend: frontend/node_modules/.installed

# Stripe's OpenAPI spec for API 2023-10-16, embedded in stripe-mock: the
# sandbox's responses are validated against it.
deps-spec:
	@$(GO) mod download $(STRIPE_MOCK)

SPEC = $(shell $(GO) mod download -json $(STRIPE_MOCK) | sed -n 's/.*"Dir": "\(.*\)",/\1/p')/embedded/openapi/spec3.json

# ---------------------------------------------------------------- build
# -m -nosyncgomod: wails must never run go mod tidy or rewrite go.mod.
bindings: deps-wails deps-frontend
	$(WAILS) generate module -tags webkit2_41

build: deps-system deps-wails deps-frontend
	$(WAILS) build -tags webkit2_41 -m -nosyncgomod -trimpath -ldflags "$(LDFLAGS)" -o billfold
	@ls -l $(BIN)

run: build
	$(BIN)

dev: deps-system deps-wails deps-frontend
	$(WAILS) dev -tags webkit2_41 -m -nosyncgomod

# ---------------------------------------------------------------- test
test: deps
	@start=$$(date +%s); \
	$(MAKE) --no-print-directory test-go test-keyring test-frontend test-e2e; \
	echo "make test: all suites passed in $$(( $$(date +%s) - start ))s"

test-go: deps-spec
	$(GO) vet ./...
	BILLFOLD_STRIPE_SPEC="$(SPEC)" $(GO) test -race -timeout 30m ./...

# The real Secret Service: gnome-keyring in a private D-Bus session, never the user's.
test-keyring:
	XDG_DATA_HOME=$$(mktemp -d) XDG_RUNTIME_DIR=$$(mktemp -d) BILLFOLD_KEYRING_TEST=1 CI=true dbus-run-session -- sh -c \
	  'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && $(GO) test -count=1 -run Keyring ./backend/vault/... .'

test-frontend: bindings
	cd frontend && npm run check && npm test

test-e2e: build
	mkdir -p $(OUT)
	WAILS=$(WAILS) scripts/e2e-window.sh $(BIN)
	WAILS=$(WAILS) scripts/e2e-browser.sh
	WAILS=$(WAILS) scripts/e2e-accounts.sh
	WAILS=$(WAILS) scripts/e2e-dashboard.sh
	WAILS=$(WAILS) scripts/e2e-sync.sh

# kill -9 soak: many more crash/resume rounds than the 20 of make test.
soak:
	BILLFOLD_CRASH_RUNS=200 $(GO) test -count=1 -timeout 60m -run TestCrashResume .

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./backend/...

clean:
	rm -rf build/bin build/out frontend/dist
