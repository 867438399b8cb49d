"""The ln1-runner command, run as the real console script (or ``python -m``)."""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import sqlalchemy


def ln1_runner(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = shutil.which("ln1-runner", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "ln1_runner.cli"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_init_writes_a_private_template_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "runner.toml"
    first = ln1_runner("init", "--config", str(path))
    assert first.returncode == 0, first.stderr
    assert "[server]" in path.read_text() and "[[catalog]]" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("# mine\n")
    again = ln1_runner("init", "--config", str(path))
    assert again.returncode == 1 and "--force" in again.stderr
    assert path.read_text() == "# mine\n"
    path.chmod(0o644)
    forced = ln1_runner("init", "--config", str(path), "--force")
    assert forced.returncode == 0 and "[server]" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def write_config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "runner.toml"
    path.write_text(
        '[server]\nurl = "wss://127.0.0.1:9"\ntoken = "t"\n'
        f'[database]\nurl = "{database_url}"\n'
        '[[catalog]]\nname = "one"\ndescription = "d"\nkeywords = ["k"]\nsql = "SELECT 1 AS x"\n'
    )
    return path


def test_check_passes_on_a_good_config_and_a_reachable_database(tmp_path: Path) -> None:
    database = tmp_path / "sales.sqlite"
    sqlalchemy.create_engine(f"sqlite:///{database}").connect().close()
    result = ln1_runner(
        "check", "--config", str(write_config(tmp_path, f"sqlite:///{database}")), "--no-server"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ok") and "config" in lines[0]
    assert lines[1].startswith("ok") and "valid with 1 query" in lines[1]
    assert lines[2].startswith("ok") and "database" in lines[2]
    assert "server" in lines[3] and "skipped" in lines[3]


def test_check_reports_an_unreachable_database(tmp_path: Path) -> None:
    url = "postgresql+psycopg://reader:pw-hidden@127.0.0.1:1/sales"
    result = ln1_runner("check", "--config", str(write_config(tmp_path, url)), "--no-server")
    assert result.returncode == 1
    assert "FAIL database" in result.stdout and "not reachable" in result.stdout
    assert "pw-hidden" not in result.stdout + result.stderr


def test_check_reports_a_bad_config_in_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "runner.toml"
    path.write_text('[server]\nurl = "wss://h"\ntoken = "t"\n[database]\nurll = "x"\n')
    result = ln1_runner("check", "--config", str(path))
    assert result.returncode == 1
    assert "FAIL config" in result.stdout and "did you mean 'url'" in result.stdout


def test_check_always_reports_the_server_line(tmp_path: Path) -> None:
    database = tmp_path / "sales.sqlite"
    sqlalchemy.create_engine(f"sqlite:///{database}").connect().close()
    result = ln1_runner("check", "--config", str(write_config(tmp_path, f"sqlite:///{database}")))
    assert "server:" in result.stdout.splitlines()[-1]
