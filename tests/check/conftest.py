"""Fixtures for the answer-checker tests: one warm worker shared by a module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tot_tui.check import Checker


@pytest.fixture(scope="module")
def checker() -> Iterator[Checker]:
    with Checker(deadline=2.0) as c:
        assert c.start(wait=True)
        yield c
