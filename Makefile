# mwprovision — see README.md.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin/mwprovision
DEMO_DIR := .demo
DEMO_PORT ?= 8089

.PHONY: all build test unit wiki-deps lint demo demo-stop clean

all: build

build:
	$(GO) build -o $(BIN) .

# Installs what the integration tests need (Debian's MediaWiki and PHP), then
# runs every test, including those against a real MediaWiki.
test: wiki-deps lint
	$(GO) test -count=1 -timeout 14m ./...

# Tests that need no wiki.
unit:
	$(GO) test -count=1 -short ./...

lint:
	@out=$$(gofmt -l . | grep -v '^vendor/' || true); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...

wiki-deps:
	bash wikitest/install-deps.sh

# A disposable local MediaWiki with samples/accounts.csv provisioned into it.
demo: wiki-deps build
	@mkdir -p $(DEMO_DIR)
	@$(GO) run ./wikitest/cmd/testwiki start -dir $(CURDIR)/$(DEMO_DIR)/wiki -port $(DEMO_PORT) > $(DEMO_DIR)/wiki.env
	@source $(DEMO_DIR)/wiki.env && \
	  cp samples/accounts.csv $(DEMO_DIR)/accounts.csv && \
	  ./$(BIN) run --api "$$API" --user "$$BULK_USER" --password-file "$$BULK_PASSWORD_FILE" \
	    --reason "mwprovision demo" --rate 10/s --workers 2 --yes $(DEMO_DIR)/accounts.csv; \
	  status=$$?; \
	  echo; \
	  echo "Results: $(DEMO_DIR)/accounts.results.csv"; \
	  echo "Log:     $(DEMO_DIR)/accounts.log.jsonl"; \
	  echo "Mail the wiki sent (temporary passwords): $(DEMO_DIR)/wiki/mail/"; \
	  echo "The wiki: http://127.0.0.1:$(DEMO_PORT)/w/index.php/Special:ListUsers"; \
	  echo "          http://127.0.0.1:$(DEMO_PORT)/w/index.php/Special:Log/newusers"; \
	  echo "Stop it with: make demo-stop"; \
	  exit $$status

demo-stop:
	$(GO) run ./wikitest/cmd/testwiki stop -dir $(CURDIR)/$(DEMO_DIR)/wiki

clean:
	rm -rf bin $(DEMO_DIR)
