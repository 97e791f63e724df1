# paysim: `make run` starts the simulator with the embedded defaults; `make test` runs
# every test with the race detector (the repository's module and the examples' modules),
# then briefly fuzzes each request decoder.
GO        ?= go
FUZZTIME  ?= 5s
BENCHTIME ?= 2s

.PHONY: run build test examples fuzz bench lint

run:
	$(GO) run ./cmd/paysim

build:
	$(GO) build -o bin/paysim ./cmd/paysim

test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(MAKE) examples
	$(MAKE) fuzz

# Each folder under examples/ is a module of its own, as a project depending on paysim
# would be; it requires paysim through a replace of the repository.
EXAMPLES := $(sort $(dir $(wildcard examples/*/go.mod)))

examples:
	@for d in $(EXAMPLES); do \
		echo "testing example $$d"; \
		(cd $$d && $(GO) vet ./... && $(GO) test -race -count=1 ./...) || exit 1; \
	done

# Every provider package has a FuzzDecodeRequest target. `go test` runs its seed corpus
# already; this explores beyond it, one package at a time (go test -fuzz takes one).
FUZZ_PKGS := $(sort $(dir $(shell grep -l '^func FuzzDecodeRequest' sim/*/fuzz_test.go)))

fuzz:
	@for p in $(FUZZ_PKGS); do \
		echo "fuzzing ./$$p for $(FUZZTIME)"; \
		$(GO) test -run='^$$' -fuzz='^FuzzDecodeRequest$$' -fuzztime=$(FUZZTIME) ./$$p || exit 1; \
	done

bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

# staticcheck is pinned in go.mod as a tool, so every machine runs the same version.
lint:
	@out=$$(gofmt -l . examples); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
