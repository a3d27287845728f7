# Convenience targets. The two commands that matter are in the README:
# scripts/test (the whole suite, also run by .ci/run).
GO ?= go

.PHONY: test build vet race winrate property-long fuzz bench loadtest movebench clusterbench persistbench idlebench partitionplans webbench faults faults-redis

test:
	./scripts/test

build:
	$(GO) build -o bin/hokm ./cmd/hokm

vet:
	$(GO) vet ./...

# The Go suite under the race detector (scripts/test installs what it
# needs; with an argument it skips the pgbouncer and cluster passes).
race:
	HOKM_TEST_REQUIRE_SERVICES=1 ./scripts/test -race

# Heuristic bot team vs random bots over 10,000 seeded matches.
winrate:
	$(GO) run ./game/bot/cmd/winrate -matches 10000

# The engine's property tests over 100,000 random matches (default suite: 10,000).
property-long:
	HOKM_PROPERTY_MATCHES=100000 $(GO) test ./game/ -run Property -count=1 -v

# Fuzz each engine target for FUZZTIME. Minimizing every new input for the
# default 60 s stalls the workers, so FUZZMINTIME bounds it.
FUZZTIME ?= 60s
FUZZMINTIME ?= 100x
fuzz:
	$(GO) test ./game/ -run '^$$' -fuzz '^FuzzApply$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME)
	$(GO) test ./game/ -run '^$$' -fuzz '^FuzzDecodeRecord$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME)
	$(GO) test ./game/ -run '^$$' -fuzz '^FuzzUnmarshalState$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME)
	$(GO) test ./gateway/protocol/ -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./game/...

# The whole pipeline under load: a private hokm serve on side ports with its
# own database and Redis DB, the Redis-only floor, then MATCHES bot matches.
MATCHES ?= 20
PARALLEL ?= 10
loadtest:
	MATCHES=$(MATCHES) PARALLEL=$(PARALLEL) ./scripts/loadtest

# The move path on every target in one run with one load client (hokm
# bench): the Redis-only floor, the prototype without rules, hokm serve and
# gateway + worker; closed loop and paced; REPS interleaved repetitions
# (WINDOW per run; PROFILE=DIR keeps a CPU and an allocation profile of
# each hokm process).
# hokm bench --redis-cluster HOST:PORT,… (or HOKM_REDIS_CLUSTER_ADDRS) runs
# serve and split on a Redis Cluster: make clusterbench, below.
REPS ?= 1
TARGETS ?= floor,prototype,serve,split
MODES ?= closed:1,closed:10,closed:100,paced:100,paced:500,paced:1000
RATE ?= 10
WINDOW ?= 10s
movebench:
	REPS=$(REPS) TARGETS=$(TARGETS) MODES=$(MODES) RATE=$(RATE) WINDOW=$(WINDOW) PROFILE=$(PROFILE) \
	  GATEWAYS=$(GATEWAYS) CLIENTS=$(CLIENTS) RAMP=$(RAMP) ./scripts/bench

# hokm serve's move path on the local Redis, then on a Redis Cluster of 3
# masters + 3 replicas started on side ports for the run (hokm bench
# --redis-cluster; Redis's CPU summed over all six nodes, the replicas'
# part shown): a table for each (scripts/clusterbench). TARGETS may be
# serve and/or split (the relays need one server).
clusterbench: TARGETS = serve
clusterbench: MODES = closed:10,closed:100,paced:500
clusterbench:
	REPS=$(REPS) TARGETS=$(TARGETS) MODES=$(MODES) RATE=$(RATE) WINDOW=$(WINDOW) ./scripts/clusterbench

# The sync lag at 50 matches ending a second (whole played matches enqueued
# as persist tasks on a running hokm serve, PERSISTN of them): p50/p99/max
# from a match's end to its row in PostgreSQL.
PERSISTN ?= 1500
persistbench:
	$(GO) test -run '^$$' -bench '^BenchmarkPersistLag$$' -benchtime $(PERSISTN)x ./internal/app/

# Idle capacity: N guest sockets held open on a private hokm serve
# (SEATED=1: four to a waiting table); its RSS, Go heap and goroutines per
# socket (GATEWAYS=G: G gateway processes and a worker instead).
N ?= 10000
SEATED ?= 0
GATEWAYS ?= 0
idlebench:
	N=$(N) SEATED=$(SEATED) GATEWAYS=$(GATEWAYS) ./scripts/idlebench

# EXPLAIN ANALYZE of the history's real queries over PLAN_MOVES stored moves
# in monthly partitions (a database of its own; the fill takes minutes).
PLAN_MOVES ?= 10000000
partitionplans:
	HOKM_PLAN_MOVES=$(PLAN_MOVES) HOKM_TEST_REQUIRE_SERVICES=1 $(GO) test -run '^$$' -bench BenchmarkPartitionPlans \
	  -benchtime=1x -timeout 60m -v ./store/pgstore/

# The web client on a phone profile (CPU x4): cold loads, asset bytes, card
# press to the first visible change; RUNS cold loads each.
RUNS ?= 7
webbench:
	RUNS=$(RUNS) ./scripts/webbench

# The whole fault catalogue (tests/faults): a deployment of its own plays
# at least 200 bot matches while 40 faults are injected (workers, gateways,
# Redis, PostgreSQL, schedulers; Sentinel failovers), then the invariants
# are checked and a table printed. The default suite runs a short profile.
faults:
	HOKM_FAULTS=full HOKM_TEST_REQUIRE_SERVICES=1 $(GO) test ./tests/faults -run TestFaultCatalogue -count=1 -v -timeout 90m

# The faults that lose Redis state, six times each under 8 busy tables.
faults-redis:
	HOKM_FAULTS=redis HOKM_TEST_REQUIRE_SERVICES=1 $(GO) test ./tests/faults -run TestRedisFaultStress -count=1 -v -timeout 30m
