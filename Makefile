# The two commands a newcomer needs; both install everything first (uv, then the locked
# dependencies into .venv; for the tests also the edge Workers' locked npm packages), so they
# work on a fresh machine with only Python 3.11, make, and Node 20 with npm.
UV_VERSION := 0.13.8
UV := python3 -m uv
export UV_PYTHON_DOWNLOADS := never

.PHONY: install run test lint bench test-edge

# Bytecode is compiled at install time: where PYTHONDONTWRITEBYTECODE is set (as on these
# machines) Python would otherwise recompile every imported module in every process it starts,
# about 8 s for `ln1 up` or one `ln1 admin` call, and the suite starts hundreds of them.
install:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --frozen --python 3.11 --compile-bytecode
	$(UV) run --frozen python -m compileall -q src runner >/dev/null

run: install  ## the whole stack on the embedded default, with a demo company
	$(UV) run --frozen ln1 up --demo

test: install  ## lint; the edge Workers in workerd; then the whole Python suite (SQLite, PostgreSQL, MariaDB, Redis)
	$(UV) run --frozen ruff check src tests bench runner
	$(UV) run --frozen ruff format --check src tests bench runner
	$(MAKE) test-edge
	$(UV) run --frozen pytest -n auto --dist worksteal --durations=20

bench: install
	$(UV) run --frozen python bench/chat_direct.py
	$(UV) run --frozen python bench/chat_during_ingest.py
	$(UV) run --frozen python bench/runner_throughput.py
	$(UV) run --frozen python bench/excel_ingest.py

test-edge:  ## the edge Workers (edge/): typecheck, then vitest inside workerd; offline after npm ci
	cd edge && npm ci --no-audit --no-fund && npx tsc --noEmit && npx vitest run
