# mwprovision — see README.md.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin/mwprovision
DEMO_DIR := .demo
DEMO_PORT ?= 8089

.PHONY: all build test unit fuzz-short wiki-deps lint bench demo demo-stop clean

all: build

build:
	$(GO) build -o $(BIN) .

# Installs what the integration tests need (Debian's MediaWiki and PHP), then
# runs every test, including those against a real MediaWiki.
test: wiki-deps lint
	$(GO) test -count=1 -timeout 14m ./...
	$(MAKE) fuzz-short

# A short run of each fuzz test (the seed corpus is in provision/testdata/fuzz).
fuzz-short:
	$(GO) test ./provision -run '^$$' -fuzz '^FuzzSheet$$' -fuzztime 10s -fuzzminimizetime 3s
	$(GO) test ./provision -run '^$$' -fuzz '^FuzzCanonicalUsername$$' -fuzztime 10s -fuzzminimizetime 3s

# Tests that need no wiki.
unit:
	$(GO) test -count=1 -short ./...

lint:
	@out=$$(gofmt -l . | grep -v '^vendor/' || true); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...

# Benchmarks (never part of make test): runs them and rewrites BENCHMARKS.md
# with the figures, the machine, the date and the exact command.
BENCH_CMD := $(GO) test -run '^$$' -bench 'DryRunOffline1M' -benchtime 3x -count 1 .
BENCH_CMD2 := $(GO) test -run '^$$' -bench 'CanonicalUsername' -benchmem -count 1 ./provision
bench:
	@echo "$(BENCH_CMD)"; $(BENCH_CMD) | tee bench.out
	@echo "$(BENCH_CMD2)"; $(BENCH_CMD2) | tee -a bench.out
	@{ \
	  echo "# Benchmarks"; echo; \
	  echo "Written by \`make bench\` on $$(date -u +%Y-%m-%d) — $$(nproc) cores ($$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $$(free -g | awk '/Mem:/ {print $$2}') GiB memory, $$($(GO) version | cut -d' ' -f3)."; echo; \
	  echo "Commands: \`$(BENCH_CMD)\` and \`$(BENCH_CMD2)\`"; echo; \
	  echo "| benchmark | target | measured |"; echo "|---|---|---|"; \
	  awk '/^BenchmarkDryRunOffline1M/ { for (i=1;i<=NF;i++) { if ($$(i+1)=="s/run") t=$$i; if ($$(i+1)=="peak-RSS-MB") m=$$i } \
	       printf "| offline dry run of a 1,000,000-row sheet (the built binary, two passes) | < 10 s, < 150 MB RSS | %.2f s, %.0f MB peak RSS |\n", t, m }' bench.out; \
	  awk '/^BenchmarkCanonicalUsername/ { printf "| %s | — | %s ns/name, %s allocs/name |\n", $$1, $$3, $$7 }' bench.out; \
	  echo; cat BENCHMARKS.notes.md 2>/dev/null; \
	  echo; echo "Raw output:"; echo; echo '```'; grep -E '^(Benchmark|goos|goarch|cpu|pkg)' bench.out; echo '```'; \
	} > BENCHMARKS.md
	@rm -f bench.out
	@echo "wrote BENCHMARKS.md"

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
