# Netlines — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := run

.PHONY: run test help setup build build-debug demo e2e fmt lint clean-data bench bench-inbox bench-stats

## Set up (idempotent), build (release client; debug server unless NETLINES_RELEASE=1) and serve on http://127.0.0.1:3000 with SQLite under ./data/
run:
	@bash scripts/run.sh

## Set up and run every test: fmt, clippy (ssr + hydrate), unit + API (SQLite, and PostgreSQL when up), Playwright
test:
	@bash scripts/test.sh

## Install what building needs (toolchain, wasm tools, Playwright's packages): idempotent
setup:
	@bash scripts/setup.sh

## Release build (server + split wasm) with scripts/build-site
build: setup
	@source scripts/env.sh && build_site --release --site-root target/site \
	  && "$$CARGO_TARGET_DIR/release/netlines" precompress target/site/pkg

## Debug build, used by the browser tests (its own site folder: a running `make run` is not disturbed)
build-debug: setup
	@source scripts/env.sh && build_site --site-root target/site-debug

## Seed the demo accounts into ./data/netlines.db and print their credentials
demo: build
	@source scripts/env.sh && "$$CARGO_TARGET_DIR/release/netlines" demo

## Only the browser tests (builds debug first)
e2e: build-debug
	@bash scripts/e2e.sh

## Load generator: throughput, latency, chaos and idle sockets (release build; docs/benchmarks.md)
bench:
	@bash scripts/bench.sh

## Inbox paging benchmark: 100,000 conversations (SQLite; DATABASE_URL=postgres://… for PostgreSQL)
bench-inbox: setup
	@source scripts/env.sh && cargo run --release -p server --example inbox_bench

## Statistics benchmark: 100,000 conversations over 90 days (SQLite; DATABASE_URL=postgres://… for PostgreSQL)
bench-stats: setup
	@source scripts/env.sh && cargo run --release -p server --example stats_bench

## Format the Rust code
fmt:
	@source scripts/env.sh && cargo fmt --all

## Delete the local database and files under ./data/
clean-data:
	rm -rf data

## List the targets with what each does
help:
	@awk '/^## /{doc=substr($$0,4); next} /^[a-z][a-z0-9-]*:/{split($$1,t,":"); if (doc!="") printf "  make %-12s %s\n", t[1], doc; doc=""; next} {doc=""}' $(MAKEFILE_LIST)
