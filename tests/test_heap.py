"""The API process freezes its start-up heap and collects young objects less often."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from ln1.ops.heap import OLDER_RATIOS, YOUNG_THRESHOLD, settle_after_startup


@pytest.fixture
def restore_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_startup_objects_leave_the_collectors_view(restore_gc: None) -> None:
    long_lived = [{"n": i} for i in range(1000)]
    settle_after_startup()
    assert gc.get_freeze_count() >= len(long_lived)
    assert gc.get_threshold() == (YOUNG_THRESHOLD, *OLDER_RATIOS)


def test_cyclic_garbage_made_after_startup_is_still_reclaimed(restore_gc: None) -> None:
    settle_after_startup()

    class Node:
        def __init__(self) -> None:
            self.me = self

    ref = weakref.ref(Node())
    assert ref() is not None  # kept alive by its own cycle
    gc.collect()
    assert ref() is None
