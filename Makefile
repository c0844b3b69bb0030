# Developer entry points. Every target gets uv itself when it is not installed.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --locked
export ENVIRONMENT ?= local

MODE ?= fast
ROWS ?= 10000
# pytest keeps its compiled, assertion-rewritten test modules in __pycache__ whatever the
# shell says: with PYTHONDONTWRITEBYTECODE set, every run would compile them all again.
PYTEST := PYTHONDONTWRITEBYTECODE= $(RUN) pytest

.PHONY: help install run seed token test check fix format smoke orm models view-models orm-check migrate bench openapi openapi-check clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	@echo "uv not found: installing it into .tools/"
	@(python3 -m venv .tools && .tools/bin/python -m pip install -q uv) 2>/dev/null \
		|| (rm -rf .tools && python3 scripts/get_uv.py .tools/bin)

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --compile-bytecode
	@touch $@

install: .venv/.synced ## Create .venv with the locked dependencies

run: install ## Serve the API with reload on HOST:PORT (127.0.0.1:8000; embedded database when DATABASE_URL is unset)
	@$(RUN) python -m scripts.dev $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

seed: install ## Insert demo data into DATABASE_URL (or the embedded dev database) once
	@$(RUN) python -m scripts.dev --seed-only

token: install ## Print a bearer token signed with SECRET_KEY
	@$(RUN) python -m scripts.token

test: install ## The fast tier on a throwaway PostgreSQL; MODE=full: every test, with coverage (fails under 90%)
ifeq ($(MODE),full)
	@$(PYTEST) --cov=app --cov=scripts --cov-report=term-missing:skip-covered --cov-fail-under=90
else ifeq ($(MODE),fast)
	@$(PYTEST) --fast -p no:schemathesis -p no:hypothesispytest  # the fuzzer's plugins: full tier
else
	$(error MODE is "$(MODE)": use MODE=fast (the default) or MODE=full)
endif

check: install ## Change nothing, fail on any finding: pyright, ruff check, ruff format --check
	$(RUN) pyright
	$(RUN) ruff check
	$(RUN) ruff format --check

fix: install ## Apply ruff's fixes and its formatting (make check shows what is left)
	$(RUN) ruff check --fix
	$(RUN) ruff format

format: install ## Apply ruff's formatting only
	$(RUN) ruff format

smoke: install ## Import the app and build its OpenAPI document
	$(RUN) python -c "from app.main import app; d = app.openapi(); print(len(d['paths']), 'paths')"

orm: install ## Regenerate app/models.py and app/view_tables.py from DATABASE_URL (unset: from PRISMA_MIGRATIONS)
	$(RUN) python -m scripts.generate_models all

models: install ## Regenerate app/models.py (tables) from DATABASE_URL
	$(RUN) python -m scripts.generate_models tables

view-models: install ## Regenerate app/view_tables.py (views) from DATABASE_URL
	$(RUN) python -m scripts.generate_models views

orm-check: install ## Replay PRISMA_MIGRATIONS on a throwaway database and diff the generated files (WRITE=1 writes them)
	$(RUN) python -m scripts.orm_check $(if $(WRITE),--write)

openapi: install ## Write openapi.json from the app (production routes, no server or database)
	$(RUN) python -m scripts.openapi

openapi-check: install ## Fail with a diff when the committed openapi.json is stale
	$(RUN) python -m scripts.openapi --check

migrate: install ## Apply PRISMA_MIGRATIONS to DATABASE_URL, or the embedded dev database when unset (like prisma migrate deploy)
	$(RUN) python -m scripts.orm.migrate

bench: install ## Load the service, a Prisma Client peer and an asyncpg reference with wrk (ROWS=10000; BENCH_ARGS="--json out.json")
	$(RUN) python -m scripts.bench --rows $(ROWS) $(BENCH_ARGS)

clean: ## Remove the virtualenv, caches and local data
	rm -rf .venv .tools .data .pytest_cache .ruff_cache .coverage .coverage.* htmlcov scripts/prisma_dmmf/node_modules \
		tests/contract/node_modules tests/contract/generated \
		tests/prisma_oracle/node_modules tests/prisma_oracle/generated \
		scripts/bench/prisma_peer/node_modules scripts/bench/prisma_peer/generated
