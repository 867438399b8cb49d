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

from collections.abc import Callable
from typing import Any

import kombu.transport.sqlalchemy
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

ATTEMPTS = 3


def _made_by_another(error: DBAPIError) -> bool:
    """A table or row that another process created between our check and our create."""
    return isinstance(error, IntegrityError) or "already exists" in str(error.orig)


class Channel(kombu.transport.sqlalchemy.Channel):
    def _open(self) -> Any:
        return self._looking_again(super()._open)

    def _get_or_create(self, queue: str) -> Any:
        return self._looking_again(lambda: super(Channel, self)._get_or_create(queue))

    def _looking_again(self, create: Callable[[], Any]) -> Any:
        """``create()``, called again while it fails on what another process just made."""
        for _ in range(ATTEMPTS - 1):
            try:
                return create()
            except DBAPIError as error:
                if not _made_by_another(error):
                    raise
                if self._session is not None:  # kombu's session, if made; its transaction failed
                    self._session.rollback()
        return create()

    def _get(self, queue: str) -> Any:
        payload = super()._get(queue)  # kombu's Empty when there is nothing to deliver
        hidden = self._query_all(queue).filter(self.message_cls.visible.is_(False))
        try:
            hidden.delete(synchronize_session=False)
            self.session.commit()
        except OperationalError:  # the file busy past its timeout: the next delivery deletes
            self.session.rollback()
        return payload
