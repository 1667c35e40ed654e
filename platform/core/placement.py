"""Every model declares where it lives (shared or tenant schema) and whether it holds personal data.

Declared with a decorator on the model class, as in::

    @shared_model(personal_data=False)
    class Material(models.Model): ...

`tests/platform/test_model_placement.py` fails on any installed model that declares nothing, and
on any model whose declaration disagrees with SHARED_APPS / TENANT_APPS.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.db import models


class Schema(enum.StrEnum):
    SHARED = "shared"
    TENANT = "tenant"


@dataclass(frozen=True)
class Placement:
    schema: Schema
    personal_data: bool


M = TypeVar("M", bound=type[models.Model])

_ATTRIBUTE = "_crm_placement"


def _declare(schema: Schema, personal_data: bool) -> Callable[[M], M]:
    def decorate(model: M) -> M:
        setattr(model, _ATTRIBUTE, Placement(schema=schema, personal_data=personal_data))
        return model

    return decorate


def shared_model(*, personal_data: bool) -> Callable[[M], M]:
    """The model's table is in the public schema, scoped to a group where it has one."""
    return _declare(Schema.SHARED, personal_data)


def tenant_model(*, personal_data: bool) -> Callable[[M], M]:
    """The model's table is in every business unit's own schema."""
    return _declare(Schema.TENANT, personal_data)


# Models of Django and third-party apps, declared here since their classes are not ours.
THIRD_PARTY: dict[str, Placement] = {
    "contenttypes.contenttype": Placement(Schema.SHARED, personal_data=False),
    "auth.permission": Placement(Schema.SHARED, personal_data=False),
    "auth.group": Placement(Schema.SHARED, personal_data=False),
    "sessions.session": Placement(Schema.SHARED, personal_data=True),
    # django-pghistory: a context holds who acted (user ids, names); the others are views.
    "pghistory.context": Placement(Schema.SHARED, personal_data=True),
    "pghistory.events": Placement(Schema.SHARED, personal_data=True),
    "pghistory.middlewareevents": Placement(Schema.SHARED, personal_data=True),
}


def placement_of(model: type[models.Model]) -> Placement | None:
    declared = model.__dict__.get(_ATTRIBUTE)
    if isinstance(declared, Placement):
        return declared
    tracked = model.__dict__.get("pgh_tracked_model")
    if tracked is not None:  # a history (event) model lives where the model it tracks lives
        return placement_of(tracked)
    return THIRD_PARTY.get(model._meta.label_lower)
