# mwprovision — see README.md.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go
BIN := bin/mwprovision
DEMO_DIR := .demo
DEMO_PORT ?= 8089

.PHONY: all build test other-systems dist unit fuzz-short names-differential mutate wiki-deps mediawiki-1.43 lint licenses codex bench demo demo-stop clean screenshots

all: build

# Every package: ./... and the release's licence tool (.ci/licenses, which
# ./... leaves out as it does every folder whose name begins with a dot).
PKGS := ./... ./.ci/licenses ./.ci/mutate

build:
	$(GO) build -o $(BIN) .

# Installs what the integration tests need (Debian's MediaWiki and PHP), then
# runs every test, including those against a real MediaWiki: all of them
# against MediaWiki 1.39 (Debian bookworm's, on this system) and, at the
# same time, the core below against MediaWiki 1.43 LTS (Debian trixie's, in
# the chroot that wikitest/trixie.sh builds; its output is printed after).
test: wiki-deps mediawiki-1.43 lint other-systems
	@mkdir -p build; \
	MWPROVISION_TEST_MEDIAWIKI=1.43 $(GO) test -count=1 -timeout 12m -run '$(MW143_TESTS)' . ./wikitest ./provision/names \
	  > build/test-mediawiki-1.43.out 2>&1 & mw143=$$!; \
	MWPROVISION_TEST_MEDIAWIKI=1.39 $(GO) test -count=1 -timeout 14m $(PKGS); s139=$$?; \
	wait $$mw143; s143=$$?; \
	echo "=== the core tests against MediaWiki 1.43 LTS (exit $$s143):"; cat build/test-mediawiki-1.43.out; \
	[ $$s139 = 0 ] && [ $$s143 = 0 ]
	$(MAKE) fuzz-short

# The core run against MediaWiki 1.43 as well: a run end to end (both
# password modes), the dry run's predictions, the throttle's stop, crash
# and Ctrl-C resume, groups, run-level stops (CAPTCHA, block), secrets,
# every anti-abuse protection (and the Wikimedia-like wiki with all of
# them), two-factor login, wikis in Turkish, Arabic, Kazakh, Greek and
# German (names, namespaces, reserved names), the name rules against the
# wiki's own PHP (./provision/names), the siteinfo that
# throttle-request reads (temporary accounts), and the harness.
# The rest (faults injected between tool and wiki, terminals, the record's
# locking and disk, Windows) is about the tool, not the wiki's version.
MW143_TESTS := ^(TestRunCreatesAccountsOnRealWiki|TestRunMigrationModeSetsWorkingPasswords|TestRunStopsCleanlyAtMaxWait|TestSecretsNeverReachOutputs|TestDryRunPredictsTheRun|TestDryRunIgnoresCreatorOverrideRights|TestDryRunChecksPasswordsInMigrationMode|TestDryRunBatchesNames|TestDryRunSaysAbuseFilterDecidesAtCreation|TestAbuseFilterRefusalCountsAgainstTheThrottle|TestTitleBlacklistPageRefusesNewAccounts|TestPreflightRefusesCreatorWithoutSkipcaptcha|TestKillNineThenResume|TestResumeClaimsOnlyWhatTheRecordAskedFor|TestKillNineDuringGrantThenResumeGrantsOnce|TestCtrlCStopsGracefullyThenResume|TestEventCoordinatorConfirmsParticipants|TestGrantAddsReturningParticipants|TestMigrationAddsTheSheetsGroups|TestCaptchaMidRunStopsTheRun|TestCaptchaRefusalCountsAgainstTheThrottle|TestCreatorBlockedStopsTheRun|TestSessionsPurgedMidRun|TestReportOnRealRunResults|TestWikimediaLikeWiki|TestTwoFactorCreatorIsToldToUseABotPassword|TestTurkishWikiNamesAreTheWikis|TestArabicWikiNamesAreTheWikis|TestKazakhLatinWikiNamesAreTheWikis|TestGreekCapitalUserPrefixIsOneAccount|TestNormalizationAgreesWithRealWiki|TestUsernameCasesAgreeWithRealWiki|TestLanguageClassesAreTheWikis|TestGermanNamespacePrefixesAreTheWikis|TestGermanReservedNamesAreTheWikis|TestHarnessStartsRealWiki|TestThrottleRequestReadsSiteinfoOfARealWiki)$$

# Windows and macOS: vet and build both; run the Windows build's tests for
# real, under Wine 10 in a Debian trixie chroot (wikitest/trixie.sh; built
# once, ≈ 2 minutes). The end-to-end run of the Windows binary against the
# real wiki is TestWindowsBuildAgainstTheWiki, in the main test run.
WT = $(shell bash wikitest/trixie.sh root)/tmp/mwprovision-windows
# Every package with tests but main (run last, with the built binary).
WINDOWS_TESTED = report provision $(patsubst %/,%,$(sort $(dir $(wildcard provision/*/*_test.go))))
other-systems:
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...
	GOOS=darwin GOARCH=amd64 $(GO) build -o /dev/null .
	GOOS=windows GOARCH=amd64 $(GO) vet ./...
	bash wikitest/trixie.sh ensure
	bash wikitest/trixie.sh share $(CURDIR)
	rm -rf $(WT) && mkdir -p $(WT)
	GOOS=windows GOARCH=amd64 $(GO) build -o $(WT)/mwprovision.exe .
	for p in $(WINDOWS_TESTED); do \
	  GOOS=windows GOARCH=amd64 $(GO) test -c -o $(WT)/$${p//\//-}.test.exe ./$$p || exit 1; \
	  (cd $$p && bash $(CURDIR)/wikitest/trixie.sh wine /tmp/mwprovision-windows/$${p//\//-}.test.exe -test.short) || exit 1; done
	GOOS=windows GOARCH=amd64 $(GO) test -c -o $(WT)/main.test.exe .
	MWPROVISION_TEST_BINARY='Z:\tmp\mwprovision-windows\mwprovision.exe' \
	  bash wikitest/trixie.sh wine /tmp/mwprovision-windows/main.test.exe -test.short

# The mutation check: each mutant of .ci/mutants/*.txt (one list an area
# of the promise-guarding code) reaches the compiler through go test's
# -overlay, never the tree, and the tests it names must fail. It prints
# each mutant's verdict and the figures by area, and fails on a survivor
# not listed as equivalent. See docs/mutations.md.
mutate: wiki-deps
	$(GO) run ./.ci/mutate

# The name rules against the wiki's own PHP on a large corpus: 300,000
# generated names in each of nine content languages, on MediaWiki 1.39 and
# 1.43 (make test runs 5,000). See docs/reference.md, "Names by the wiki's
# language".
names-differential: wiki-deps mediawiki-1.43
	set -o pipefail; for v in 1.39 1.43; do \
	  MWPROVISION_NAMES_CORPUS=300000 MWPROVISION_TEST_MEDIAWIKI=$$v $(GO) test -count=1 -timeout 60m \
	    -run '^TestNormalizationAgreesWithRealWiki$$' -v ./provision/names | grep -E '^(---|ok|FAIL|PASS)|normalize_wiki_test' || exit 1; done

# A short run of each fuzz test (the seed corpora are in each package's testdata/fuzz).
fuzz-short:
	$(GO) test ./provision -run '^$$' -fuzz '^FuzzSheet$$' -fuzztime 10s -fuzzminimizetime 3s
	$(GO) test ./provision/names -run '^$$' -fuzz '^FuzzCanonicalUsername$$' -fuzztime 10s -fuzzminimizetime 3s

# Packages, as a release would make them (a local snapshot, into dist/):
# archives for linux, darwin and windows on amd64 and arm64, their
# checksums, and a .deb with the man page and bash completion. GoReleaser
# is pinned here and run with go run.
GORELEASER := github.com/goreleaser/goreleaser/v2@v2.15.1
# Then TestDistPackages checks the checksums and installs the amd64 .deb
# here (dpkg, as root), runs it and removes it.
dist:
	MWPROVISION_COMMIT=$$(git rev-parse --short HEAD) $(GO) run $(GORELEASER) release --snapshot --clean --config .ci/goreleaser.yaml
	$(GO) test -count=1 -tags dist -run '^TestDistPackages$$' .

# THIRD_PARTY_LICENSES.md: the modules compiled into the binaries, their
# licences (told by their text) and those texts, and the same for the web
# assets the binaries embed (Codex, below); a test fails when it is out of
# date with go.mod or with the assets.
licenses:
	$(GO) run ./.ci/licenses

# Codex, Wikimedia's design system: its CSS, for the browser console to
# embed, refreshed from npm at this pinned version into
# provision/console/assets/codex (each tarball checked against the
# registry's integrity), with its licence and version; then
# THIRD_PARTY_LICENSES.md is written anew from them.
CODEX_VERSION := 2.7.0
codex:
	CODEX_VERSION=$(CODEX_VERSION) bash .ci/codex.sh
	$(GO) run ./.ci/licenses

# Tests that need no wiki.
unit:
	$(GO) test -count=1 -short $(PKGS)

# gofmt, go vet and staticcheck; staticcheck also for Windows and macOS
# (the per-OS files) and with the dist tag (dist_test.go). It is pinned and
# installed into bin/ by go install, so a machine with only Go has it.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := bin/staticcheck-$(STATICCHECK_VERSION)/staticcheck
$(STATICCHECK):
	GOBIN=$(CURDIR)/$(@D) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: $(STATICCHECK)
	@out=$$(gofmt -l . | grep -v '^vendor/' || true); if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) -tags dist $(PKGS)
	GOOS=windows GOARCH=amd64 $(STATICCHECK) $(PKGS)
	GOOS=darwin GOARCH=arm64 $(STATICCHECK) $(PKGS)

# Benchmarks (never part of make test): runs them and rewrites BENCHMARKS.md
# with the figures, the machine, the date and the exact commands.
BENCH_CMDS := \
  "$(GO) test -run '^$$' -bench 'EngineRun100k' -benchtime 1x ./provision" \
  "$(GO) test -run '^$$' -bench 'DryRunOffline1M' -benchtime 3x ." \
  "$(GO) test -run '^$$' -bench 'CanonicalUsername' -benchmem ./provision/names" \
  "$(GO) test -run '^$$' -bench 'WikiCeiling' -benchtime 1x -timeout 30m ." \
  "$(GO) test -run '^$$' -bench 'ThrottleEfficiency' -benchtime 1x -timeout 30m ." \
  "$(GO) test -run '^$$' -bench 'DryRunOnline100k' -benchtime 1x -timeout 60m ." \
  "$(GO) test -run '^$$' -bench 'ConsoleSheets' -benchtime 1x ." \
  "$(GO) test -run '^$$' -bench 'ConsoleSheetOnScreen' -benchtime 3x ." \
  "$(GO) test -run '^$$' -bench 'ProgressLatency' -benchtime 2000x ./provision/console" \
  "$(GO) test -run '^$$' -bench 'ConsoleRunVsCommandLine' -benchtime 2x -timeout 20m ."
bench:
	@rm -f bench.out; for c in $(BENCH_CMDS); do echo "$$c"; bash -c "$$c" | tee -a bench.out || exit 1; done
	@{ \
	  echo "# Benchmarks"; echo; \
	  echo "Written by \`make bench\` on $$(date -u +%Y-%m-%d) — $$(nproc) cores ($$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $$(free -g | awk '/Mem:/ {print $$2}') GiB memory, $$($(GO) version | cut -d' ' -f3), MediaWiki $$(dpkg-query -W -f='$${Version}' mediawiki 2>/dev/null) with SQLite behind PHP's built-in server (4 workers) on 127.0.0.1."; echo; \
	  echo "Commands:"; echo; for c in $(BENCH_CMDS); do echo "    $$c"; done; echo; \
	  echo "## Targets"; echo; \
	  echo "| # | benchmark | target | measured |"; echo "|---|---|---|---|"; \
	  awk 'function m(u) { for (i=1;i<=NF;i++) if ($$(i+1)==u) return $$i; return "?" } \
	    /^BenchmarkEngineRun100k/ { printf "| 1 | tool cost: 100,000 rows, whole pipeline, API answering at once | >= 20,000 rows/s, < 60 MB RSS | %.0f rows/s, %.1f allocs/row, %.1f MB peak RSS |\n", m("rows/s"), m("allocs/row"), m("peak-RSS-MB") } \
	    /^BenchmarkDryRunOffline1M/ { printf "| 2 | offline dry run, 1,000,000 rows (the built binary) | < 10 s, < 150 MB RSS | %.2f s, %.0f MB peak RSS |\n", m("s/run"), m("peak-RSS-MB") } \
	    /^BenchmarkThrottleEfficiency/ { printf "| 4 | throttle 3 per 20 s, limited creator, 12 rows | <= 1.15 x minimum | %.1f s for a %.0f s minimum: %.3f x |\n", m("wall-s"), m("minimum-s"), m("ratio") } \
	    /^BenchmarkDryRunOnline100k/ { printf "| 5 | online dry run, 100,000 names, default flags next to --rate 0 | <= 2 x | %.1f s vs %.1f s: %.2f x |\n", m("default-s"), m("rate0-s"), m("ratio") } \
	    /^BenchmarkConsoleSheetOnScreen/ { printf "| 6 | console: a 10,000-row sheet, from the click to its offline table on screen (headless chromium) | < 2 s | %.2f s |\n", m("on-screen-10k-s") } \
	    /^BenchmarkConsoleSheets/ { printf "| 7 | console (the built binary): a 100,000-row sheet uploaded, paged and filtered | usable, < 250 MB RSS | %.2f s to its page (10,000 rows: %.2f s), %.3f s a page, %.1f MB peak RSS |\n", m("upload-100k-s"), m("upload-10k-s"), m("page-100k-s"), m("peak-RSS-MB") } \
	    /^BenchmarkProgressLatency/ { printf "| 8 | console: from the engine's report to the page's event stream | <= 1 s | median %.3f ms, max %.1f ms |\n", m("median-ms"), m("max-ms") } \
	    /^BenchmarkConsoleRunVsCommandLine/ { printf "| 9 | console run next to the command line's, real MediaWiki, 200 accounts, 4 workers, twice each | >= 0.95 x | %.2f vs %.2f acct/s: %.2f x |\n", m("console-acct/s"), m("cli-acct/s"), m("ratio") }' bench.out; \
	  awk '/^BenchmarkWikiCeiling/ { split($$1, a, "/"); set=a[2]; for (i=1;i<=NF;i++) { if ($$(i+1)=="tool-acct/s") t=$$i; if ($$(i+1)=="ceiling-acct/s") c=$$i } \
	       if (t>bt[set]) bt[set]=t; if (c>bc[set]) bc[set]=c } \
	       END { for (s in bt) printf "| 3 | real MediaWiki, %s: best of workers 1/2/4/8 | >= 0.95 x ceiling | %.2f acct/s vs ceiling %.2f acct/s: %.2f x |\n", s, bt[s], bc[s], bt[s]/bc[s] }' bench.out; \
	  echo; echo "## Real MediaWiki: mwprovision next to the raw client, per worker count"; echo; \
	  echo "| setting | workers | ceiling (raw client) acct/s | mwprovision acct/s | ratio |"; echo "|---|---:|---:|---:|---:|"; \
	  awk '/^BenchmarkWikiCeiling/ { split($$1, a, "/"); sub(/-[0-9]+$$/, "", a[3]); sub(/workers=/, "", a[3]); for (i=1;i<=NF;i++) { if ($$(i+1)=="tool-acct/s") t=$$i; if ($$(i+1)=="ceiling-acct/s") c=$$i; if ($$(i+1)=="ratio") r=$$i } \
	       printf "| %s | %s | %.2f | %.2f | %.2f |\n", a[2], a[3], c, t, r }' bench.out; \
	  echo; echo "## Name rules"; echo; echo "| benchmark | ns/name | allocs/name |"; echo "|---|---:|---:|"; \
	  awk '/^BenchmarkCanonicalUsername/ { printf "| %s | %s | %s |\n", $$1, $$3, $$7 }' bench.out; \
	  echo; cat BENCHMARKS.notes.md 2>/dev/null; \
	  echo; echo "## Raw output"; echo; echo '```'; grep -E '^(Benchmark|goos|goarch|cpu|pkg)' bench.out; echo '```'; \
	} > BENCHMARKS.md
	@rm -f bench.out
	@echo "wrote BENCHMARKS.md"

wiki-deps:
	bash wikitest/install-deps.sh

# MediaWiki 1.43 LTS and PHP 8.4 (and Wine 10), in a Debian trixie chroot.
mediawiki-1.43:
	bash wikitest/trixie.sh ensure

# The console's screenshots in docs/images, taken by its browser test
# against a real wiki, and the login slips' (report --format slips).
screenshots: wiki-deps
	rm -rf build/screenshots && mkdir -p build/screenshots
	MWPROVISION_SCREENSHOTS=$(CURDIR)/build/screenshots $(GO) test -count=1 -run '^(TestConsoleIn(TheBrowser|French|Arabic)|TestReportSlipsPrintToPDF)$$' .
	cp build/screenshots/TestReportSlipsPrintToPDF_mailed_slips.png docs/images/slips.png
	for f in build/screenshots/TestConsoleInTheBrowser_console-*.png; do \
	  cp "$$f" docs/images/$${f#build/screenshots/TestConsoleInTheBrowser_}; done
	for f in ar-console-confirm ar-console-run-paused fr-console-sheet fr-console-results; do \
	  cp build/screenshots/TestConsoleIn*_$$f.png docs/images/console-$${f/-console/}.png; done

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
