# Convenience targets. The two commands that matter are in the README:
# scripts/test (the whole suite, also run by .ci/run).
GO ?= go

.PHONY: test build vet

test:
	./scripts/test

build:
	$(GO) build -o bin/hokm ./cmd/hokm

vet:
	$(GO) vet ./...
