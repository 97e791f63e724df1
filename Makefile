# paysim: `make run` starts the simulator with the embedded defaults; `make test` runs
# every test with the race detector, then briefly fuzzes each request decoder.
GO        ?= go
FUZZTIME  ?= 5s
BENCHTIME ?= 2s

.PHONY: run build test fuzz bench lint

run:
	$(GO) run ./cmd/paysim

build:
	$(GO) build -o bin/paysim ./cmd/paysim

test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz

# Each fuzz target runs its seed corpus in `go test` already; this explores beyond it.
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeRequest$$' -fuzztime=$(FUZZTIME) ./sim/huifu

bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
