"""The `consents` field of contacts and leads, and naming a contact or lead by its global id.

A page of contacts or leads announces its ids (`expect_consents`), so the consents of the whole
page are read in one statement. Reading consents needs `view` on consents; without it the field
is null with a FIELD_FORBIDDEN error entry, as every hidden field is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import graphene
from graphql_relay import from_global_id

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.ids import pk_of
from crm.graphql.core.loaders import BatchLoader
from crm.graphql.core.permissions import access_of
from crm.graphql.privacy.types import Consent
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.vocabulary import Action
from crm.tenants.personaldata.access import CONSENT
from crm.tenants.personaldata.consents import ConsentSubject, states_of
from crm.tenants.personaldata.models import ConsentState, SubjectType

KINDS = {"Contact": SubjectType.CONTACT, "Lead": SubjectType.LEAD}


def subject_of(global_id: str, *, field: str = "subject") -> ConsentSubject:
    """A contact's or lead's global id as a consent subject, or MALFORMED_ID."""
    try:
        kind, _raw = from_global_id(global_id)
    except (ValueError, TypeError, UnicodeError):
        raise CrmError(ErrorCode.MALFORMED_ID, field=field, id=global_id) from None
    if kind not in KINDS:
        raise CrmError(ErrorCode.MALFORMED_ID, field=field, id=global_id)
    return ConsentSubject(KINDS[kind], pk_of(kind, global_id, field=field))


def _loader(info: graphene.ResolveInfo, subject_type: SubjectType) -> BatchLoader[int, Any]:
    loaders: dict[str, BatchLoader[int, list[ConsentState]]] = info.context.__dict__.setdefault(
        "_consent_loaders", {}
    )
    if subject_type not in loaders:
        loaders[subject_type] = BatchLoader(lambda ids: states_of(subject_type, ids))
    return loaders[subject_type]


def expect_consents(
    info: graphene.ResolveInfo, subject_type: SubjectType, ids: Iterable[int]
) -> None:
    """Announce a page's records, so that their consents are read in one batch."""
    _loader(info, subject_type).expect(ids)


def consents_field(subject_type: SubjectType) -> graphene.List:
    def resolve(root: Any, info: graphene.ResolveInfo) -> list[ConsentState]:
        access = access_of(info)
        if not access.on_type(CONSENT).allows(Action.VIEW):
            access.forbidden_read(CONSENT, root.pk, "consents")
            raise graphql_error(
                CrmError(
                    ErrorCode.FIELD_FORBIDDEN,
                    field="consents",
                    object=subject_type.value,
                    name="consents",
                )
            )
        states: list[ConsentState] = _loader(info, subject_type).load(root.pk)
        return states

    return graphene.List(
        graphene.NonNull(Consent),
        resolver=resolve,
        description="The consent in force for each purpose that has one (see consentHistory).",
    )
