"""kombu's SQLAlchemy channel, fit for the embedded broker of a long-running install.

Safe when several processes start on a new broker at once. kombu creates the broker's
tables and each queue's row on first use, with a check-then-insert that holds a lock of its
own process only. ``ln1 up`` starts the API and its workers together, and an operator may
start more workers: two processes then both find a table or a queue row missing, both
create it, and the slower one died with "table kombu_message already exists" or "UNIQUE
constraint failed: kombu_queue.name" (seen when two workers started together on one data
folder). Here the loser looks again and finds what the winner made.

And a delivered message's row is deleted. kombu hides it (``visible = false``) and never
shows or deletes it again (a clean shutdown re-publishes what was not acknowledged as new
rows), so every task ever queued stayed in the broker file. ``ln1.worker.recovery`` reads
only visible rows.
"""

from __future__ import annotations

from typing import Any

import kombu.transport.sqlalchemy
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

ATTEMPTS = 3


def _made_by_another(error: DBAPIError) -> bool:
    """A table or row that another process created between our check and our create."""
    return isinstance(error, IntegrityError) or "already exists" in str(error.orig)


class Channel(kombu.transport.sqlalchemy.Channel):
    def _open(self) -> Any:
        for attempt in range(ATTEMPTS):
            try:
                return super()._open()
            except DBAPIError as error:
                if attempt == ATTEMPTS - 1 or not _made_by_another(error):
                    raise
        raise AssertionError("unreachable")

    def _get_or_create(self, queue: str) -> Any:
        for attempt in range(ATTEMPTS):
            try:
                return super()._get_or_create(queue)
            except IntegrityError:
                self.session.rollback()
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _get(self, queue: str) -> Any:
        payload = super()._get(queue)  # kombu's Empty when there is nothing to deliver
        hidden = self._query_all(queue).filter(self.message_cls.visible.is_(False))
        try:
            hidden.delete(synchronize_session=False)
            self.session.commit()
        except OperationalError:  # the file busy past its timeout: the next delivery deletes
            self.session.rollback()
        return payload
