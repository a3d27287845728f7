# Convenience targets. The two commands that matter are in the README:
# scripts/test (the whole suite, also run by .ci/run).
GO ?= go

.PHONY: test build vet winrate

test:
	./scripts/test

build:
	$(GO) build -o bin/hokm ./cmd/hokm

vet:
	$(GO) vet ./...

# Heuristic bot team vs random bots over 10,000 seeded matches.
winrate:
	$(GO) run ./game/bot/cmd/winrate -matches 10000
