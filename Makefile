# The two commands a newcomer needs; both install everything first (uv, then the locked
# dependencies into .venv), so they work on a fresh machine with only Python 3.11.
UV_VERSION := 0.13.8
UV := python3 -m uv
export UV_PYTHON_DOWNLOADS := never

.PHONY: install run test lint bench

install:
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --frozen --python 3.11

run: install  ## the whole stack on the embedded default, with a demo company
	$(UV) run --frozen ln1 up --demo

test: install  ## lint, then the whole suite on SQLite and on a throw-away PostgreSQL database
	$(UV) run --frozen ruff check src tests bench runner
	$(UV) run --frozen ruff format --check src tests bench runner
	$(UV) run --frozen pytest

bench: install
	$(UV) run --frozen python bench/chat_direct.py
