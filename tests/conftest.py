"""Session setup: the test world is built once in the test database, after migrations."""

from collections.abc import Iterator
from typing import Any

import pytest

from crm.tests.fixtures.world import World, build_world


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock():
        yield build_world()


@pytest.fixture
def world(django_db_setup: World, db: None) -> World:
    return django_db_setup
