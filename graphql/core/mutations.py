"""The small base of every mutation: its own error type and code enum, the caller's access.

A mutation subclasses `CrmMutation`, lists the codes it can answer in `Meta.error_codes`, and
implements `perform(info, access, **arguments)` returning the payload's other fields. A refusal
(`CrmError`) becomes `errors: [<Mutation>Error { field code message }]` with every other payload
field null (unless the refusal carries details for the payload, `CrmError.payload`, such as
the suspected duplicates of a new customer); the service it called was atomic, so nothing
changed. A code the mutation did not
declare is a bug and surfaces as a top-level GraphQL error instead of being hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import graphene
import pghistory
from graphene.types.mutation import MutationOptions

from crm.graphql.core.errors import graphql_error
from crm.graphql.core.permissions import caller
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import history_context
from crm.replication.readonly import read_only_error

# Any mutation may write group master data, which only the group's home cell accepts.
ALWAYS = (ErrorCode.UNAUTHENTICATED, ErrorCode.PERMISSION_DENIED, ErrorCode.READ_ONLY_REPLICA)


class CrmMutation(graphene.Mutation):
    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(
        cls,
        error_codes: Iterable[ErrorCode] = (),
        _meta: MutationOptions | None = None,
        **options: Any,
    ) -> None:
        codes = tuple(dict.fromkeys((*ALWAYS, *error_codes)))
        name = options.get("name") or cls.__name__
        code_enum = graphene.Enum(f"{name}ErrorCode", [(code.value, code.value) for code in codes])
        error_type = type(
            f"{name}Error",
            (graphene.ObjectType,),
            {
                "__doc__": f"Why {name} refused; nothing was changed.",
                "field": graphene.String(description="The argument concerned, if one."),
                "code": graphene.Field(code_enum, required=True),
                "message": graphene.String(required=True, description="In the request's language."),
            },
        )
        arguments = getattr(cls, "Arguments", None)
        writes = "mutate" not in cls.__dict__  # signIn writes no record: no reason to give
        if writes and arguments is not None and not hasattr(arguments, "reason"):
            arguments.reason = graphene.String(
                description="Why: kept with the change in the record's history."
            )
        cls.errors = graphene.List(graphene.NonNull(error_type), required=True)
        cls.error_codes = frozenset(codes)
        cls.error_type = error_type
        super().__init_subclass_with_meta__(_meta=_meta, **options)

    @classmethod
    def mutate(cls, _root: None, info: graphene.ResolveInfo, **arguments: Any) -> CrmMutation:
        reason = str(arguments.pop("reason", None) or "")[:500]
        try:
            # Each subclass defines `perform(cls, info, access, **its arguments)`.
            perform: Callable[..., dict[str, Any]] = cls.perform
            access = caller(info)
            # Every row the mutation writes gets a history entry (database triggers) that
            # names who did it, from which business unit, and why.
            with pghistory.context(**history_context(access, reason, cls.__name__)):
                payload = perform(info, access, **arguments)
        except Exception as caught:
            # A write this cell's replica refused (a database trigger, whichever driver layer
            # raised it) is a typed error too; anything else goes on.
            error = caught if isinstance(caught, CrmError) else read_only_error(caught)
            if error is None:
                raise
            if error.code not in cls.error_codes:
                raise graphql_error(error) from error
            return cls(
                errors=[
                    cls.error_type(field=error.field, code=error.code.value, message=error.message)
                ],
                **error.payload,
            )
        return cls(errors=[], **payload)
