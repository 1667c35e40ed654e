"""A stage change racing a write: the write is judged on the stage it finds under the row lock.

Two threads, two real PostgreSQL connections, committed rows. The steward may edit a material in
PHASED_OUT but not in OBSOLETE. The admin moves it to OBSOLETE and holds the row lock; the
steward's edit, started meanwhile, must wait, then see OBSOLETE and be refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, transaction

from crm.masterdata import services
from crm.masterdata.access import MATERIAL
from crm.masterdata.models import Material
from crm.platform.accounts.authentication import user_principal
from crm.platform.accounts.models import User
from crm.platform.core.errors import CrmError
from crm.platform.permissions.engine import Access
from crm.platform.permissions.policy_data import load_policy
from crm.platform.permissions.vocabulary import Action
from crm.platform.permissions.writes import lock_visible, move_stage
from crm.tenants.models import BusinessUnit

CODE = "RACE-1"
HOLD = 0.5  # seconds the admin keeps the lock after the stage change


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run `work` on its own connection (Django connections are per thread)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except Exception as error:  # handed to the test to assert on
            outcome["error"] = error
        finally:
            outcome["finished"] = time.monotonic()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def access_of(username: str) -> Access:
    hq = BusinessUnit.objects.select_related("group").get(group__code="acme", code="hq")
    return Access(user_principal(User.objects.get(username=username)), hq, load_policy(hq.group_id))


@pytest.fixture
def committed_material(world: Any) -> Iterator[int]:
    """A material committed outside the test's transaction, so both threads see it."""

    def create() -> int:
        return Material.objects.create(
            group_id=world.acme_id, code=CODE, unit="PCS", status="PHASED_OUT", name_en="Race"
        ).pk

    thread, outcome = in_thread(create)
    thread.join()
    yield outcome["value"]
    thread, _ = in_thread(lambda: Material.objects.filter(code=CODE).delete())
    thread.join()


@pytest.mark.django_db
def test_an_edit_racing_a_stage_change_is_judged_on_the_new_stage(committed_material):
    locked = threading.Event()
    committed: dict[str, float] = {}

    def obsolete() -> str:
        admin = access_of("acme.admin")
        with transaction.atomic():
            material = lock_visible(admin, MATERIAL, Material.objects.all(), committed_material)
            move_stage(admin, MATERIAL, material, Action.ADVANCE)
            locked.set()
            time.sleep(HOLD)
            # Taken before the COMMIT: the steward's lock is granted only by the commit, so
            # its end cannot come before this (after it, the thread may be scheduled late).
            committed["at"] = time.monotonic()
        return str(material.status)

    def edit() -> Material:
        steward = access_of("acme.steward")
        locked.wait(10)
        return services.material_update(
            access=steward, material_id=committed_material, changes={"name": {"en": "Sneaky"}}
        )

    admin_thread, admin_outcome = in_thread(obsolete)
    steward_thread, steward_outcome = in_thread(edit)
    admin_thread.join(20)
    steward_thread.join(20)

    assert admin_outcome.get("value") == "OBSOLETE", admin_outcome
    error = steward_outcome.get("error")
    assert isinstance(error, CrmError), steward_outcome
    assert error.code == "PERMISSION_DENIED"
    assert error.params["action"] == "edit"
    assert steward_outcome["finished"] >= committed["at"]  # it waited for the lock
    material = Material.objects.get(pk=committed_material)
    assert material.status == "OBSOLETE"
    assert material.name_en == "Race"


@pytest.mark.django_db
def test_the_same_edit_before_the_stage_change_goes_through(committed_material):
    """The control: at PHASED_OUT the steward may edit, so the refusal above is the stage's."""

    def edit() -> str:
        material = services.material_update(
            access=access_of("acme.steward"),
            material_id=committed_material,
            changes={"name": {"en": "Renamed"}},
        )
        return str(material.name_en)

    thread, outcome = in_thread(edit)
    thread.join(20)
    assert outcome.get("value") == "Renamed", outcome
