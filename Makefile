# CIRS: `make run` sets everything up and runs the app; `make test` runs the checks and tests.
# Both work on a fresh Debian machine with Python 3.11 (system packages are installed
# when you are root; otherwise the command that is needed is printed).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
# E-mail links point at the port the app runs on (SITE_URL in the environment wins).
SITE_URL ?= http://127.0.0.1:$(PORT)
# WeasyPrint needs Pango and HarfBuzz; the browser tests need Debian's chromium, and
# node/npm to install axe-core (package.json, pinned by package-lock.json).
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
APT_TEST_PACKAGES := chromium graphviz nodejs
NPM := npm --no-audit --no-fund --loglevel=error
# The real OpenID provider the sign-in tests start (oidc-provider, pinned by its lockfile).
OIDC_PROVIDER_DIR := tests/accounts/oidc_provider

.PHONY: audit run test setup setup-dev system-packages system-test-packages node-test-packages oidc-test-provider lint migrate-check diagram bench lighthouse clean

run: setup
	$(PY) manage.py migrate --noinput
	SITE_URL=$(SITE_URL) $(PY) manage.py seed_demo
	PORT=$(PORT) SITE_URL=$(SITE_URL) scripts/run-dev.sh

test: setup-dev system-test-packages node-test-packages oidc-test-provider
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# Imports run one way (.importlinter, docs/architecture.md).
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.prod SECRET_KEY=check-deploy-only-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
		ALLOWED_HOSTS=cirs.example.org $(PY) manage.py check --deploy --fail-level WARNING
	$(PY) -m pytest -n 2

# Known vulnerabilities in the installed packages. Says loudly when the vulnerability
# database could not be reached instead of passing quietly (docs/dependency-audit.md).
audit: setup-dev
	$(PY) scripts/dependency_audit.py

setup: system-packages $(VENV)/.installed

setup-dev: system-packages $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

system-packages:
	@scripts/apt-ensure.sh $(APT_PACKAGES)

system-test-packages:
	@scripts/apt-ensure.sh $(APT_TEST_PACKAGES)

# axe-core for the accessibility walk (tests/browser/test_accessibility.py); the
# dev dependencies (Lighthouse) are only installed by `make lighthouse`.
# (Some nodejs builds carry npm themselves; Debian's npm package is added only if needed.)
node-test-packages: system-test-packages
	@command -v npm >/dev/null || scripts/apt-ensure.sh npm
	$(NPM) ci --omit=dev

# Lighthouse (desktop preset) on each role's main page, against a throwaway server with
# the demo data; scores go to var/lighthouse/ (docs/accessibility.md records them).
lighthouse: setup-dev node-test-packages
	$(NPM) ci
	$(PY) scripts/lighthouse.py

oidc-test-provider: node-test-packages $(OIDC_PROVIDER_DIR)/node_modules/.package-lock.json

$(OIDC_PROVIDER_DIR)/node_modules/.package-lock.json: $(OIDC_PROVIDER_DIR)/package-lock.json
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); if (a < 20 || (a === 20 && b < 19)) { console.error("The sign-in tests need Node 20.19 or later (found " + process.version + ")."); process.exit(1); }'
	cd $(OIDC_PROVIDER_DIR) && $(NPM) ci

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

diagram: setup-dev
	# Our drawing (same-state actions listed inside each state); django-fsm's own
	# `manage.py graph_transitions referrals.Referral` draws them as arrows to "None".
	$(PY) manage.py draw_lifecycle --output docs/referral-lifecycle

# Throwaway PostgreSQL databases named cirs_bench_* are created and dropped by the bench.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres

bench: setup-dev
	@scripts/apt-ensure.sh wrk
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) benchmarks/bench.py

clean:
	rm -rf var staticfiles node_modules
