"""``ln1-runner``: write a starting configuration, check it, run the runner.

``check`` is what the client's IT person runs before opening a ticket: one line per check, in
plain words, and an exit code scripts can test. The tunnel client (``ln1_runner.client``) is
imported only by the commands that need it, so ``init`` and ``check`` work without it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ln1_runner import __version__
from ln1_runner.config import ConfigError, RunnerConfig, default_config_text, load_config

DEFAULT_CONFIG = "runner.toml"


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one command; return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "init":
            return _init(Path(args.config), args.force)
        if args.command == "check":
            return _check(Path(args.config), server=not args.no_server)
        return _run(Path(args.config))
    except KeyboardInterrupt:
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ln1-runner",
        description="ln1 Local Runner: runs the extractions your catalog allows, read-only.",
    )
    parser.add_argument("--version", action="version", version=f"ln1-runner {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="write a commented runner.toml to start from")
    init.add_argument("--config", default=DEFAULT_CONFIG, help="where to write it")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    check = commands.add_parser("check", help="check the configuration, database and server")
    check.add_argument("--config", default=DEFAULT_CONFIG)
    check.add_argument(
        "--no-server", action="store_true", help="skip the server check (e.g. before go-live)"
    )
    run = commands.add_parser("run", help="connect to the server and serve orders")
    run.add_argument("--config", default=DEFAULT_CONFIG)
    return parser


def _init(path: Path, force: bool) -> int:
    """Write the template, readable by its owner only (it may come to hold a token)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        print(f"{path} already exists; use --force to overwrite it", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"cannot write {path}: {error.strerror}", file=sys.stderr)
        return 1
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(default_config_text())
    os.chmod(path, 0o600)  # --force on an existing file keeps its old mode otherwise
    print(f"wrote {path}; edit it, then run: ln1-runner check --config {path}")
    return 0


def _check(path: Path, server: bool) -> int:
    """Print one line per check; 0 if every check that ran passed."""
    failed = False

    def report(ok: bool | None, what: str, detail: str) -> None:
        nonlocal failed
        failed = failed or ok is False
        mark = {True: "ok  ", False: "FAIL", None: "--  "}[ok]
        print(f"{mark} {what}: {detail}", flush=True)

    try:
        config = load_config(path)
    except ConfigError as error:
        report(False, "config", str(error))
        return 1
    report(True, "config", f"{config.path} is valid")
    count = len(config.catalog.queries)
    free = "; free SQL allowed" if config.free_sql else ""
    report(True, "catalog", f"valid with {count} quer{'y' if count == 1 else 'ies'}{free}")
    report(*_check_database(config))
    if server:
        report(*_check_server(config))
    else:
        report(None, "server", "skipped (--no-server)")
    return 1 if failed else 0


def _check_database(config: RunnerConfig) -> tuple[bool, str, str]:
    """Run ``SELECT 1`` in a read-only transaction on the configured database."""
    from ln1_runner.executor import Executor, ExtractionFailed

    executor = Executor(config)
    try:
        executor.check_database()
    except ExtractionFailed as error:
        return False, "database", error.message
    finally:
        executor.dispose()
    return True, "database", f"the {config.database_label} answers a read-only SELECT 1"


def _check_server(config: RunnerConfig) -> tuple[bool | None, str, str]:
    """Ask the tunnel client to reach the server, if this installation has it."""
    try:
        from ln1_runner.client import check_server  # type: ignore[attr-defined]
    except ImportError:
        return None, "server", "not available (this build has no tunnel client)"
    try:
        return True, "server", check_server(config)
    except Exception as error:
        return False, "server", str(error) or type(error).__name__


def _run(path: Path) -> int:
    """Load the configuration and hand over to the tunnel client until it stops."""
    try:
        config = load_config(path)
    except ConfigError as error:
        print(f"cannot start: {error}", file=sys.stderr)
        return 1
    try:
        from ln1_runner.client import run  # type: ignore[attr-defined]
    except ImportError as error:
        print(f"cannot start: the tunnel client is not available ({error})", file=sys.stderr)
        return 1
    return int(run(config))


if __name__ == "__main__":
    sys.exit(main())
