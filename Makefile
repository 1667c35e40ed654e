# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum requirements.lock | cut -d' ' -f1)

.PHONY: run test install services stop lint typecheck schema messages lock bench clean

run: install messages
	$(PY) -m crm.infra.run

test: install messages services
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest

install: $(STAMP)

# A virtualenv with the pinned dependencies; `crm` is mapped onto the repository root by a
# symlink in a folder that a .pth file puts on sys.path (see ARCHITECTURE.md section 1).
$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	mkdir -p $(VENV)/crm-src && ln -sfn "$(CURDIR)" $(VENV)/crm-src/crm
	$(PY) -c "import sysconfig, pathlib; pathlib.Path(sysconfig.get_paths()['purelib'], 'crm.pth').write_text(str(pathlib.Path('$(VENV)/crm-src').resolve()) + '\n')"
	rm -f $(VENV)/.installed-*
	touch $@

# gettext catalogs compiled with Babel (pure Python: no system gettext needed).
messages: install
	$(PY) -m crm.i18n.catalogs compile

services: install
	$(PY) -m crm.infra.services up

stop: install
	$(PY) -m crm.infra.services down

schema: install
	$(PY) manage.py graphql_schema_snapshot --write

lock: install
	$(VENV)/bin/pip install --quiet uv
	$(VENV)/bin/uv pip compile requirements.in -o requirements.lock --python-version 3.11 --generate-hashes --quiet

bench: install messages services
	$(PY) -m crm.infra.bench
	$(PY) -m crm.infra.bench_customers
	$(PY) -m crm.infra.bench_import
	$(PY) -m crm.infra.bench_automation
	$(PY) -m crm.infra.bench_sales
	$(PY) -m crm.infra.bench_residency
	$(PY) -m crm.infra.bench_replication
	$(PY) -m crm.infra.bench_quotes
	$(PY) -m crm.infra.bench_ledger
	$(PY) -m crm.infra.bench_credit
	$(PY) -m crm.infra.bench_insights
	$(PY) -m crm.infra.bench_funnel

clean:
	rm -rf $(VENV) .local .mypy_cache .ruff_cache .pytest_cache
