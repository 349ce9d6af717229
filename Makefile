# nswasi — run as root: the netns runners create network namespaces.
GO      ?= go
BIN     := bin
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: full build run test soak bench report clean lint FORCE

build: $(BIN)/nswasi $(BIN)/guest $(BIN)/guest.wasm

# go build decides what is stale; FORCE just hands it every call.
$(BIN)/nswasi: FORCE
	$(GO) build -buildvcs=auto -o $@ ./cmd/nswasi  # the commit goes into every result file
$(BIN)/guest: FORCE
	GOOS=linux CGO_ENABLED=0 $(GO) build -trimpath -o $@ ./scenarios/guest
$(BIN)/guest.wasm: FORCE
	GOOS=wasip1 GOARCH=wasm $(GO) build -trimpath -o $@ ./scenarios/guest

## run: the main job
run: build
	$(BIN)/nswasi run

## test: every test; integration tests need root and skip (saying so) without it.
## -p 1: the leak checks look at the whole machine, so packages must not overlap.
test:
	$(GO) test -p 1 -count=1 -timeout 15m ./...

## soak: the long soak, on demand (not in CI): >= 1000 guest starts across
## every runner, then a search for anything left behind. Needs root; about
## 10-25 minutes on 2 cores, most of it WASI starts. SOAK_STARTS=N changes the count.
SOAK_STARTS ?= 1000
soak:
	NSWASI_SOAK_STARTS=$(SOAK_STARTS) $(GO) test -count=1 -timeout 90m -run '^TestSoakNoLeaks$$' -v ./internal/reliability

## full: the full experiment (experiments/full.yaml): every runner, host,
## scenario and mode at two sizes, the fidelity checks; about 30 min on 2 cores.
full: build
	$(BIN)/nswasi run --experiment experiments/full.yaml

## bench: the whole benchmark sweep, every size and connection count
## (hours on 2 cores); `make full` is the sweep held to about 30 minutes.
bench: build
	$(BIN)/nswasi bench --out results/bench-$$(date +%s)

## report: remake the report of the newest run under results/ (or DIR=...)
report: build
	$(BIN)/nswasi report $${DIR:-$$(ls -d results/*/ | sort | tail -n 1)}

## clean: remove what killed runs left behind, and the build
clean:
	-[ -x $(BIN)/nswasi ] && $(BIN)/nswasi clean
	rm -rf $(BIN)

lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l . && echo "gofmt: the files above need formatting" && exit 1)
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
FORCE:
