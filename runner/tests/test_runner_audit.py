"""The audit log keeps one JSON line per order, from any thread, without secrets."""

import datetime
import json
import stat
import threading
from pathlib import Path

from ln1_runner.audit import AuditLog
from ln1_runner.protocol import OrderSpec

NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.UTC)


def spec(**fields: object) -> OrderSpec:
    values: dict[str, object] = {
        "id": "o-1",
        "runner_id": "r",
        "requested_by": "user-7",
        "trace_id": "trace-9",
        "issued_at": NOW,
        "expires_at": NOW,
    }
    values.update(fields)
    return OrderSpec(**values)  # type: ignore[arg-type]


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_an_order_that_ran_is_logged_with_its_outcome(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    with AuditLog(path) as log:
        log.record(
            spec(query="sales_by_day", args={"start": "2026-01-01"}),
            "ok",
            rows=42,
            truncated=True,
            duration_ms=12.3456,
        )
    (entry,) = lines(path)
    assert entry["order_id"] == "o-1" and entry["requested_by"] == "user-7"
    assert entry["trace_id"] == "trace-9" and entry["query"] == "sales_by_day"
    assert entry["args"] == {"start": "2026-01-01"} and entry["sql"] is None
    assert (entry["outcome"], entry["rows"], entry["truncated"]) == ("ok", 42, True)
    assert entry["duration_ms"] == 12.346
    assert datetime.datetime.fromisoformat(str(entry["ts"])).tzinfo is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_refused_free_sql_keeps_the_sql_text_and_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditLog(path) as log:
        log.record(spec(sql="DELETE FROM ventas -- ñ"), "refused", code="unsafe_sql", message="no")
    (entry,) = lines(path)
    assert entry["query"] == "free_sql" and entry["sql"] == "DELETE FROM ventas -- ñ"
    assert (entry["outcome"], entry["code"], entry["message"]) == ("refused", "unsafe_sql", "no")


def test_secrets_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    with AuditLog(path, secrets=["tok-SECRET", "db-pw-123"]) as log:
        log.record(
            spec(query="q", args={"who": "tok-SECRET", "list": ["x db-pw-123"]}),
            "failed",
            code="database_error",
            message="password db-pw-123 rejected",
        )
    text = path.read_text(encoding="utf-8")
    assert "tok-SECRET" not in text and "db-pw-123" not in text
    assert "***" in text


def test_lines_from_many_threads_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)

    def write(n: int) -> None:
        for i in range(200):
            log.record(spec(id=f"{n}-{i}", query="q", args={"pad": "x" * 500}), "ok")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    entries = lines(path)
    assert len(entries) == 1600
    assert len({entry["order_id"] for entry in entries}) == 1600


def test_lines_are_on_disk_before_the_log_is_closed(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.record(spec(query="q"), "cancelled")
    assert lines(path)[0]["outcome"] == "cancelled"
    log.close()
    with AuditLog(path) as again:  # appends, never truncates
        again.record(spec(query="q"), "ok")
    assert [e["outcome"] for e in lines(path)] == ["cancelled", "ok"]
