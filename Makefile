# paysim: `make run` starts the simulator with the embedded defaults; `make test` runs
# every test with the race detector (the repository's module and the examples' modules),
# then briefly runs every fuzz target (`make fuzz`; `make fuzz-explore` for longer).
GO        ?= go
FUZZTIME  ?= 5s
BENCHTIME ?= 2s

.PHONY: run build test benchcheck examples fuzz bench compare lint browser

run:
	$(GO) run ./cmd/paysim

build:
	$(GO) build -o bin/paysim ./cmd/paysim

test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(MAKE) benchcheck
	$(MAKE) examples
	$(MAKE) fuzz

# Every benchmark once, untimed: one that no longer works (a guard it now meets, a path
# that moved) fails here instead of in the hands of the next person measuring.
benchcheck:
	$(GO) test -run='^$$' -bench=. -benchtime=1x ./...

# Each folder under examples/ is a module of its own, as a project depending on paysim
# would be; it requires paysim through a replace of the repository.
EXAMPLES := $(sort $(dir $(wildcard examples/*/go.mod)))

examples:
	@for d in $(EXAMPLES); do \
		echo "testing example $$d"; \
		(cd $$d && $(GO) vet ./... && $(GO) test -race -count=1 ./...) || exit 1; \
	done

# Every Fuzz target of the module, as `go test -list` finds them (FUZZTARGETS narrows
# them by name), explored one at a time for $(FUZZTIME) each: go test -fuzz takes one
# target. `go test` runs their seed corpora already. Minimising every input that only adds
# coverage is off (FUZZMINIMIZE=0): at the default 60s a run did little else
# (BENCHMARKS.md, Fuzzing). Go 1.26's coordinator can fail a run that found nothing with a
# bare "context deadline exceeded" as the time runs out (golang/go#75804, fixed in 1.27):
# such a run, with no failing input written, counts as passed. `make fuzz-explore` gives
# each target $(FUZZ_EXPLORE_TIME) instead; the corpus each run finds is kept in the Go
# cache and grows from run to run (`go clean -fuzzcache` drops it).
FUZZTARGETS       ?= ^Fuzz
FUZZMINIMIZE      ?= 0
FUZZ_EXPLORE_TIME ?= 1m

fuzz:
	@list=$$($(GO) test -list '$(FUZZTARGETS)' ./...) || { echo "$$list"; exit 1; }; \
	targets=$$(echo "$$list" | awk '/^Fuzz/ {n[++c] = $$1} /^ok/ {for (i = 1; i <= c; i++) print $$2 "," n[i]; c = 0}'); \
	if [ -z "$$targets" ]; then echo "no fuzz target matches $(FUZZTARGETS)"; exit 1; fi; \
	out=$$(mktemp); trap 'rm -f "$$out" "$$out.rc"' EXIT; \
	for t in $$targets; do \
		pkg=$${t%%,*}; name=$${t#*,}; \
		echo "fuzzing $$name in $$pkg for $(FUZZTIME)"; \
		{ $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINIMIZE) $$pkg 2>&1; echo $$? >"$$out.rc"; } | tee "$$out"; \
		[ "$$(cat "$$out.rc")" = 0 ] && continue; \
		if grep -qx '    context deadline exceeded' "$$out" && ! grep -q 'Failing input written to' "$$out"; then \
			echo "$$name: the run ended on Go's deadline race (golang/go#75804), not on a failing input: counted as passed"; \
			continue; \
		fi; \
		exit 1; \
	done

.PHONY: fuzz-explore
fuzz-explore:
	$(MAKE) fuzz FUZZTIME=$(FUZZ_EXPLORE_TIME)

bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

# paysim and a bare Echo server under the same loads, alternately, in one run
# (BENCHMARKS.md, "Load side by side"); COMPARE passes flags, e.g. COMPARE="-rounds 5".
compare:
	$(GO) run ./bench/compare $(COMPARE)

# staticcheck is pinned in go.mod as a tool, so every machine runs the same version.
lint:
	@out=$$(gofmt -l . examples); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# The console's browser test (sim/console) drives Debian's chromium, headless. As root
# (CI's containers) this installs it, with a CJK font so that screenshots show Chinese;
# otherwise it says how. Without chromium the test is skipped, unless CI is set.
browser:
	@if command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium for the console's browser test"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-microhei; \
	else \
		echo "chromium is missing: the console's browser test (sim/console) needs it."; \
		echo "Install it with: sudo apt-get update && sudo apt-get install -y chromium"; \
		exit 1; \
	fi
