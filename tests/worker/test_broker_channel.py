"""Several processes starting on one new embedded broker at once (``ln1.worker.broker_channel``).

kombu creates the broker's tables and queue rows with a check-then-create guarded only
within one process; two workers started together used to lose one of them to "table ...
already exists" or "UNIQUE constraint failed: kombu_queue.name".
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

DECLARE = """
import sys, time
from kombu import Connection
import ln1.worker.celery_app  # registers ln1's transport for sqla+ URLs
url, start, names = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
with Connection(url) as connection:
    channel = connection.channel()
    while time.time() < start:  # all processes begin together
        pass
    for name in names:
        channel._new_queue(name)
"""


def test_processes_declaring_the_same_queues_on_a_new_broker_at_once_all_live(
    tmp_path: Path,
) -> None:
    broker = tmp_path / "broker.sqlite"
    names = [f"queue{i}" for i in range(30)]
    start = time.time() + 3  # after every process has imported kombu and ln1
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", DECLARE, f"sqla+sqlite:///{broker}", str(start), *names],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, "\n".join(errors)[-3000:]
    with sqlite3.connect(broker) as db:
        rows = [name for (name,) in db.execute("SELECT name FROM kombu_queue")]
    assert sorted(rows) == sorted(names)


def test_a_delivered_message_leaves_no_row_in_the_broker(tmp_path: Path) -> None:
    from kombu import Connection

    import ln1.worker.celery_app  # noqa: F401  (registers ln1's transport for sqla+ URLs)

    broker = tmp_path / "broker.sqlite"
    with Connection(f"sqla+sqlite:///{broker}") as connection:
        channel = connection.channel()
        for n in range(5):
            channel._put("default", {"body": str(n)})
        delivered = [channel._get("default")["body"] for _ in range(3)]
        assert delivered == ["0", "1", "2"]
        with sqlite3.connect(broker) as db:
            rows = db.execute("SELECT visible, COUNT(*) FROM kombu_message GROUP BY visible")
            assert dict(rows.fetchall()) == {1: 2}  # the two waiting; none of the delivered
        assert channel._size("default") == 2
