# Stadtmelder — the entry point for people. `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.11, 3.12 or 3.13: `make test PYTHON=python3.13`.
PYTHON ?= python3.11
UV_VERSION := 0.13.9
TOOLS := var/tools
UV := $(TOOLS)/bin/uv
# REPLICAS=2 runs two processes of each service, reports behind a local balancer (issue 21).
STACK := $(if $(REPLICAS),STADTMELDER_REPLICAS=$(REPLICAS) ).venv/bin/python deploy/local/stack.py

.PHONY: help install browser run stop status logs test test-unit lint format bench chaos api-key token clean k8s-validate k8s-dry-run asyncapi
.PHONY: simulate-fleet bench-fleet bench-fleet-ingest bench-backends bench-statistics bench-replicas

help: ## Show this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[1m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(UV):
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found — install Python 3.11, 3.12 or 3.13 (or pyenv install 3.11) and name it with PYTHON=..., then retry"; exit 2; }
	@echo "install: bootstrapping uv $(UV_VERSION) into $(TOOLS) ..."
	@$(PYTHON) -m venv $(TOOLS) && $(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Named after the interpreter: another PYTHON finds no stamp, and uv then recreates .venv for it.
VENV_STAMP := .venv/.synced-$(notdir $(PYTHON))

$(VENV_STAMP): $(UV) uv.lock pyproject.toml shared/pyproject.toml services/*/pyproject.toml
	@echo "install: Python dependencies from uv.lock for $(PYTHON) ..."
	@$(UV) sync --locked --python $(PYTHON)
	@touch $@

WEB_ASSETS := services/reports/web-assets

# The web pages' front-end libraries (Leaflet; axe-core for the tests), pinned in package-lock.json.
$(WEB_ASSETS)/node_modules/.installed: $(WEB_ASSETS)/package.json $(WEB_ASSETS)/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm is required for the web pages' map library — install Node.js (e.g. apt-get install nodejs npm) and retry"; exit 2; }
	@echo "install: front-end libraries from package-lock.json ..."
	@cd $(WEB_ASSETS) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

ASYNCAPI_SCHEMA := docs/asyncapi-schema

# The official AsyncAPI JSON Schemas (@asyncapi/specs), which a unit test validates
# docs/asyncapi.yaml against, pinned in package-lock.json.
$(ASYNCAPI_SCHEMA)/node_modules/.installed: $(ASYNCAPI_SCHEMA)/package.json $(ASYNCAPI_SCHEMA)/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm is required for the AsyncAPI schema — install Node.js (e.g. apt-get install nodejs npm) and retry"; exit 2; }
	@echo "install: AsyncAPI schemas from package-lock.json ..."
	@cd $(ASYNCAPI_SCHEMA) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

LOCAL_OIDC := deploy/local/oidc

# The local OpenID Provider that `make run` and the tests sign staff in with (panva's
# oidc-provider), pinned in package-lock.json.
$(LOCAL_OIDC)/node_modules/.installed: $(LOCAL_OIDC)/package.json $(LOCAL_OIDC)/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm is required for the local sign-in server — install Node.js (e.g. apt-get install nodejs npm) and retry"; exit 2; }
	@echo "install: local sign-in server from package-lock.json ..."
	@cd $(LOCAL_OIDC) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's Chromium for the browser tests; installed as root (CI), else named in one line.
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "install: Chromium for the browser tests (Debian package) ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "make: the browser tests need Chromium — install it (sudo apt-get install chromium) and retry"; exit 2; fi; }

# Every service's gettext catalogues, compiled from their .po files (the .mo files are not in git).
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard services/*/src/*/locale/*/LC_MESSAGES/*.po))

%.mo: %.po $(VENV_STAMP)
	@.venv/bin/pybabel compile --statistics -i $< -o $@

install: $(VENV_STAMP) $(WEB_ASSETS)/node_modules/.installed $(ASYNCAPI_SCHEMA)/node_modules/.installed $(LOCAL_OIDC)/node_modules/.installed $(CATALOGUES) ## Install the Python and front-end dependencies (pinned in uv.lock, package-lock.json)

run: install ## Start the whole system locally (Kafka, FerretDB on SQLite or STADTMELDER_DB_BACKEND=postgresql, SMTP sink, sign-in server, four services; REPLICAS=2 for two of each)
	@$(STACK) start
	@.venv/bin/python -m stadtmelder_reports.admin import-playgrounds deploy/local/data/playgrounds.example.geojson
	@.venv/bin/python -m stadtmelder_reports.admin import-works --example
	@echo
	@echo "Stadtmelder runs on http://127.0.0.1:8000 (API under /api/v1, OpenAPI at /schema)."
	@echo "Staff pages: http://127.0.0.1:8000/staff — sign in at the local sign-in server as"
	@echo "  clerk-licht / stadtmelder (street lights clerk; more in deploy/local/oidc/users.json)."
	@echo "Mails land in var/mail/. Try:"
	@echo "  curl -s -X POST http://127.0.0.1:8000/api/v1/reports -H 'content-type: application/json' \\"
	@echo "    -d '{\"category\":\"street_light_out\",\"description\":\"Laterne dunkel\",\"lat\":51.4344,\"lon\":6.7623,\"email\":\"you@example.org\"}'"
	@echo "Stop everything with: make stop"

stop: ## Stop everything `make run` started
	@$(STACK) stop

status: ## Show what is running
	@$(STACK) status

logs: ## Show the end of every log file
	@$(STACK) logs

test: install browser lint k8s-validate k8s-dry-run ## Lint, check deploy/k8s, then run all tests (starts and stops its own Kafka, FerretDB and SMTP sink)
	@# A clean slate, so no run is slowed or confused by an earlier one's reports and topics;
	@# STADTMELDER_KEEP_TEST_STACK=1 keeps the stack and its data between runs instead.
	@if [ -z "$$STADTMELDER_KEEP_TEST_STACK" ]; then $(STACK) --profile test reset >/dev/null; fi
	@# Started here so first-time downloads show their progress; the tests stop them at the end.
	@$(STACK) --profile test start kafka ferretdb smtp
	@# Stopped here too, so a run that fails before the tests' own teardown leaves nothing behind.
	@.venv/bin/pytest; status=$$?; \
	  if [ -z "$$STADTMELDER_KEEP_TEST_STACK" ]; then $(STACK) --profile test stop >/dev/null; fi; \
	  exit $$status

test-unit: install ## Run only the unit tests (no servers needed)
	@.venv/bin/pytest tests/unit

asyncapi: install ## Regenerate docs/asyncapi.yaml, the event contract, from the event models
	@.venv/bin/python docs/asyncapi.py > docs/asyncapi.yaml.new && mv docs/asyncapi.yaml.new docs/asyncapi.yaml
	@echo "docs/asyncapi.yaml written"

k8s-validate: install ## Render every deploy/k8s overlay; check schemas (Kubernetes 1.33+, CRDs), references, policy, alerts (promtool), Dockerfiles
	@.venv/bin/python deploy/k8s/validate.py --uv $(UV)

# kube-apiserver and etcd are built from the Go module proxy on the first run (about 12 minutes
# on 2 cores) and kept under var/tools; later runs take about a minute.
k8s-dry-run: install ## Apply every overlay with --dry-run=server to a real kube-apiserver with the operators' CRDs
	@.venv/bin/python deploy/k8s/dry_run.py --uv $(UV)

lint: install ## ruff (lint and format check) and mypy --strict
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .
	@.venv/bin/mypy

format: install ## Format the code with ruff
	@.venv/bin/ruff format .
	@.venv/bin/ruff check --fix .

bench: install ## Open-loop load beside bare Litestar and Kafka, routing cost, memory, statistics, request bombs, fleet ingest and simulator (BENCH_ARGS=--help)
	@# Every step runs and prints its table; the target fails at the end if any step missed one.
	@status=0; \
	  .venv/bin/python -m bench.load $(BENCH_ARGS) || status=1; \
	  .venv/bin/python -m bench.statistics || status=1; \
	  .venv/bin/python -m bench.hostile_input || status=1; \
	  .venv/bin/python -m bench.fleet_ingest || status=1; \
	  .venv/bin/python -m bench.fleet_simulation --osm-dir "$(OSM)" --seed $(SEED) --weeks 4 || status=1; \
	  exit $$status

bench-statistics: install ## The statistics page and JSON with 50,000 reports beside bare Litestar (STATISTICS_ARGS=--help)
	@.venv/bin/python -m bench.statistics $(STATISTICS_ARGS)

bench-replicas: install ## The same load on one and on two replicas of each service, side by side (BENCH_ARGS=--help)
	@.venv/bin/python -m bench.replicas $(BENCH_ARGS)

bench-backends: install ## The same load on FerretDB on SQLite and on PostgreSQL, side by side (test stack; BENCH_ARGS=--help)
	@.venv/bin/python -m bench.backends $(BENCH_ARGS)

# Duisburg's OpenStreetMap outlines, read where they lie (never copied into the repository).
OSM ?= $(or $(STADTMELDER_SHARED_DATA),../shared/data)/duisburg-osm
TRUCKS ?= 10
SEED ?= 7
SPEEDUP ?= 60
HOURS ?= 4

SIMULATOR = .venv/bin/python -m stadtmelder_fleet.simulator --osm-dir "$(OSM)" --trucks $(TRUCKS) --seed $(SEED)

simulate-fleet: install ## Simulated waste trucks and containers publish sensor readings into `make run` (TRUCKS SEED SPEEDUP HOURS)
	@$(SIMULATOR) --containers-file var/simulator/containers.csv --containers-only
	@.venv/bin/python -m stadtmelder_fleet.containers.admin var/simulator/containers.csv
	@$(SIMULATOR) --speed-up $(SPEEDUP) --hours $(HOURS)

bench-fleet: install ## The fleet domain on the simulator's seeded truth: defects found, emptyings saved (SEED WEEKS)
	@.venv/bin/python -m bench.fleet_simulation --osm-dir "$(OSM)" --seed $(SEED) --weeks $(or $(WEEKS),4)

bench-fleet-ingest: install ## The fleet service on `make run`'s system: readings/s beside a bare consumer, RSS, last pass → report (PROFILE READINGS)
	@.venv/bin/python -m bench.fleet_ingest --profile $(or $(PROFILE),run) --readings $(or $(READINGS),120000)

chaos: install ## Fault drills under load; fails on any lost or doubled report (REPLICAS=2: two of each service; CHAOS_ARGS=--help)
	@.venv/bin/python -m bench.chaos $(if $(REPLICAS),--replicas $(REPLICAS)) $(CHAOS_ARGS)

api-key: install ## Issue an API key for an app: make api-key NAME="Duisburg App" [PER_MINUTE=60]
	@test -n "$(NAME)" || { echo 'make: give the app a name, e.g. make api-key NAME="Duisburg App"'; exit 2; }
	@.venv/bin/python -m stadtmelder_reports.admin create-api-key --name "$(NAME)" --per-minute $(or $(PER_MINUTE),60)

token: install ## Print a development staff token (12 h): make token ROLE=clerk DEPARTMENT=wbd-strasse [SUB=anna]
	@test -n "$(ROLE)" || { echo 'make: give a role (clerk, dispatcher or admin), e.g. make token ROLE=clerk DEPARTMENT=wbd-strasse'; exit 2; }
	@.venv/bin/python -m stadtmelder_reports.staff.token --role "$(ROLE)" $(if $(DEPARTMENT),--department "$(DEPARTMENT)") $(if $(SUB),--sub "$(SUB)")

clean: stop ## Stop everything and delete var/ (downloads, data, mails)
	@$(STACK) --profile test stop
	rm -rf var .venv
