"""Fixtures of the receptionist tests: the demo salon seeded, and its text-call hub."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from frontdesk.demo import seed_demo
from frontdesk.services import Services


@pytest.fixture
def salon(services: Services) -> Services:
    """The services with the demo salon (profile + starter knowledge base) loaded."""
    seed_demo(services.db, services.clock, services.knowledge)
    return services


@pytest.fixture
def hub(salon: Services) -> Iterator[Any]:
    """The text-call hub of the salon's services, stopped after the test."""
    h = salon.call_hub()
    yield h
    salon.stop()
