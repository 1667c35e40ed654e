"""Typed errors: one code enum for the whole API, each code with a translated message.

Domain code raises `CrmError(ErrorCode.X, field=..., **params)`; the API layer turns it into
`{ field code message }` (mutation payloads) or a GraphQL error entry whose `extensions` carry
`code`, `field` and the parameters. Clients branch on `code`, never on the message text.
"""

from __future__ import annotations

import enum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ErrorCode(enum.StrEnum):
    TENANT_REQUIRED = "TENANT_REQUIRED"
    TENANT_NOT_FOUND = "TENANT_NOT_FOUND"
    WRONG_REGION = "WRONG_REGION"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    PAGE_SIZE_REQUIRED = "PAGE_SIZE_REQUIRED"
    PAGE_SIZE_TOO_LARGE = "PAGE_SIZE_TOO_LARGE"
    INVALID_CURSOR = "INVALID_CURSOR"
    MALFORMED_ID = "MALFORMED_ID"
    NOT_FOUND = "NOT_FOUND"
    QUERY_TOO_LARGE = "QUERY_TOO_LARGE"
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
    TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
    UNKNOWN_CURRENCY = "UNKNOWN_CURRENCY"
    UNKNOWN_LANGUAGE = "UNKNOWN_LANGUAGE"
    PRICE_NOT_FOUND = "PRICE_NOT_FOUND"
    RATE_NOT_FOUND = "RATE_NOT_FOUND"
    INVALID_RATE_FILE = "INVALID_RATE_FILE"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    NOT_A_MEMBER = "NOT_A_MEMBER"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    FIELD_FORBIDDEN = "FIELD_FORBIDDEN"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    INVALID_STAGE_CHANGE = "INVALID_STAGE_CHANGE"
    INVALID_POLICY = "INVALID_POLICY"
    IN_USE = "IN_USE"
    INVALID_TAX_ID = "INVALID_TAX_ID"
    DUPLICATE_SUSPECTED = "DUPLICATE_SUSPECTED"
    PRICE_WINDOW_OVERLAP = "PRICE_WINDOW_OVERLAP"
    CHANGE_CONFLICT = "CHANGE_CONFLICT"
    ALREADY_DECIDED = "ALREADY_DECIDED"
    INVALID_FILE = "INVALID_FILE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    REQUIRED_FIELD_MISSING = "REQUIRED_FIELD_MISSING"
    STAGE_CONDITIONS_NOT_MET = "STAGE_CONDITIONS_NOT_MET"
    INVALID_ASSIGNEE = "INVALID_ASSIGNEE"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    RECORD_DUPLICATE = "RECORD_DUPLICATE"
    RECORD_CLOSED = "RECORD_CLOSED"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    BUSINESS_UNIT_MOVING = "BUSINESS_UNIT_MOVING"
    READ_ONLY_REPLICA = "READ_ONLY_REPLICA"
    NOT_HEADQUARTERS = "NOT_HEADQUARTERS"
    # Quotes and contracts (#7).
    DISCOUNT_NEEDS_APPROVAL = "DISCOUNT_NEEDS_APPROVAL"
    QUOTE_EXPIRED = "QUOTE_EXPIRED"
    QUOTE_NOT_ACCEPTED = "QUOTE_NOT_ACCEPTED"
    TAX_RATE_NOT_FOUND = "TAX_RATE_NOT_FOUND"
    CONTRACT_NOT_APPROVED = "CONTRACT_NOT_APPROVED"
    CONTRACT_NOT_SIGNED = "CONTRACT_NOT_SIGNED"
    NOT_AN_APPROVER = "NOT_AN_APPROVER"
    # Orders, invoices, payments (#7).
    ORDER_NOT_CONFIRMED = "ORDER_NOT_CONFIRMED"
    DELIVERY_EXCEEDS_ORDER = "DELIVERY_EXCEEDS_ORDER"
    INVOICE_EXCEEDS_ORDER = "INVOICE_EXCEEDS_ORDER"
    PAYMENT_TERMS_UNREADABLE = "PAYMENT_TERMS_UNREADABLE"
    CREDIT_NOTE_EXCEEDS_INVOICE = "CREDIT_NOTE_EXCEEDS_INVOICE"
    PAYMENT_OVER_ALLOCATED = "PAYMENT_OVER_ALLOCATED"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    # Credit control (#7).
    CREDIT_LIMIT_EXCEEDED = "CREDIT_LIMIT_EXCEEDED"
    CREDIT_CHECK_UNAVAILABLE = "CREDIT_CHECK_UNAVAILABLE"
    CREDIT_NOT_BLOCKED = "CREDIT_NOT_BLOCKED"


MESSAGES: dict[ErrorCode, Promise] = {
    ErrorCode.TENANT_REQUIRED: _(
        "Choose a business unit with the X-Business-Unit header or its host name."
    ),
    ErrorCode.TENANT_NOT_FOUND: _("Business unit “%(business_unit)s” does not exist."),
    ErrorCode.WRONG_REGION: _(
        "Business unit “%(business_unit)s” is served by region “%(region)s” at %(endpoint)s."
    ),
    ErrorCode.INVALID_ARGUMENT: _("The value of “%(field)s” is not valid: %(reason)s"),
    ErrorCode.PAGE_SIZE_REQUIRED: _("Say how many records to return with “first” or “last”."),
    ErrorCode.PAGE_SIZE_TOO_LARGE: _("At most %(limit)s records can be returned at once."),
    ErrorCode.INVALID_CURSOR: _("The cursor “%(cursor)s” is not valid."),
    ErrorCode.MALFORMED_ID: _("“%(id)s” is not a valid identifier."),
    ErrorCode.NOT_FOUND: _("No %(object)s with identifier “%(id)s” exists."),
    ErrorCode.QUERY_TOO_LARGE: _("The query is larger than %(limit)s bytes."),
    ErrorCode.QUERY_TOO_DEEP: _("The query is nested deeper than %(limit)s levels."),
    ErrorCode.TOO_MANY_ALIASES: _("The query uses more than %(limit)s aliases."),
    ErrorCode.UNKNOWN_CURRENCY: _("“%(currency)s” is not an ISO 4217 currency code."),
    ErrorCode.UNKNOWN_LANGUAGE: _("“%(language)s” is not a supported language."),
    ErrorCode.PRICE_NOT_FOUND: _(
        "No price for material “%(material)s” is valid on %(date)s for this business unit."
    ),
    ErrorCode.RATE_NOT_FOUND: _(
        "No %(rate_type)s exchange rate from %(source)s to %(target)s on or before %(date)s."
    ),
    ErrorCode.INVALID_RATE_FILE: _("Line %(line)s of the rate file is not valid: %(reason)s"),
    ErrorCode.UNAUTHENTICATED: _(
        "Sign in: send “Authorization: Bearer <token>” with a valid, unrevoked token."
    ),
    ErrorCode.INVALID_CREDENTIALS: _("The user name or the password is wrong."),
    ErrorCode.NOT_A_MEMBER: _("You hold no role in business unit “%(business_unit)s”."),
    ErrorCode.PERMISSION_DENIED: _(
        "You may not %(action)s this %(object)s (field: %(name)s) in its current stage."
    ),
    ErrorCode.FIELD_FORBIDDEN: _("Field “%(name)s” of %(object)s is hidden from you."),
    ErrorCode.ALREADY_EXISTS: _("A %(object)s with %(field)s “%(value)s” already exists."),
    ErrorCode.INVALID_STAGE_CHANGE: _(
        "A %(object)s in stage “%(stage)s” cannot move %(direction)s."
    ),
    ErrorCode.INVALID_POLICY: _("The policy change is not valid: %(reason)s"),
    ErrorCode.IN_USE: _("The %(object)s “%(id)s” is still in use and cannot be deleted."),
    ErrorCode.INVALID_TAX_ID: _(
        "This is not a valid tax or registration id for %(country)s: %(reason)s"
    ),
    ErrorCode.PRICE_WINDOW_OVERLAP: _(
        "Material “%(material)s” already has a live price on list “%(other)s” for the same "
        "scope and currency in an overlapping period."
    ),
    ErrorCode.CHANGE_CONFLICT: _(
        "The record changed since the request was filed (%(fields)s); review and confirm."
    ),
    ErrorCode.ALREADY_DECIDED: _("The request was already %(status)s."),
    ErrorCode.INVALID_FILE: _("The file cannot be imported: %(reason)s"),
    ErrorCode.INTERNAL_ERROR: _(
        "The job stopped on an unexpected error (%(reason)s); it was logged."
    ),
    ErrorCode.REQUIRED_FIELD_MISSING: _(
        "“%(field)s” is required for a %(object)s in this business unit."
    ),
    ErrorCode.STAGE_CONDITIONS_NOT_MET: _(
        "The %(object)s cannot enter stage “%(stage)s” yet; missing: %(missing)s."
    ),
    ErrorCode.INVALID_ASSIGNEE: _("This %(object)s cannot be given to user “%(user)s”: %(reason)s"),
    ErrorCode.IDEMPOTENCY_CONFLICT: _(
        "The idempotency key “%(key)s” was already used for a different %(object)s."
    ),
    ErrorCode.RECORD_DUPLICATE: _("A %(object)s with the same %(reason)s already exists: %(id)s."),
    ErrorCode.RECORD_CLOSED: _("The %(object)s is %(status)s and can no longer be changed."),
    ErrorCode.AWAITING_APPROVAL: _(
        "The %(object)s waits for headquarters to decide on its request for a new customer."
    ),
    ErrorCode.DUPLICATE_SUSPECTED: _(
        "%(count)s existing customers look like this one; confirm to create it anyway."
    ),
    ErrorCode.BUSINESS_UNIT_MOVING: _(
        "Business unit “%(business_unit)s” is moving to region “%(region)s” and accepts no "
        "changes until the move is done; reading works."
    ),
    ErrorCode.READ_ONLY_REPLICA: _(
        "This cell holds a read-only copy of the group's master data: write it in the group's "
        "home region “%(home_region)s” at %(endpoint)s."
    ),
    ErrorCode.NOT_HEADQUARTERS: _(
        "Group-wide views are asked in the group's headquarters business unit "
        "“%(headquarters)s”, in region “%(region)s”."
    ),
    ErrorCode.DISCOUNT_NEEDS_APPROVAL: _(
        "A discount of %(discount)s %% is above your limit of %(limit)s %%: request an "
        "approval first."
    ),
    ErrorCode.QUOTE_EXPIRED: _("The quote was valid until %(valid_until)s and has expired."),
    ErrorCode.QUOTE_NOT_ACCEPTED: _(
        "A contract is made from an accepted quote; this one is %(status)s."
    ),
    ErrorCode.TAX_RATE_NOT_FOUND: _(
        "No tax rate %(tax)s is valid on %(date)s for material “%(material)s”."
    ),
    ErrorCode.CONTRACT_NOT_APPROVED: _(
        "The contract is %(status)s: it can be signed only once it is approved."
    ),
    ErrorCode.CONTRACT_NOT_SIGNED: _(
        "Contract %(contract)s is %(status)s: orders are made from signed contracts only."
    ),
    ErrorCode.NOT_AN_APPROVER: _("You cannot decide this approval: %(reason)s"),
    ErrorCode.ORDER_NOT_CONFIRMED: _("Order %(order)s is not confirmed yet."),
    ErrorCode.DELIVERY_EXCEEDS_ORDER: _(
        "Line %(line)s of order %(order)s has only %(available)s left to deliver."
    ),
    ErrorCode.INVOICE_EXCEEDS_ORDER: _(
        "Line %(line)s of order %(order)s can be invoiced for at most %(available)s more "
        "(%(basis)s)."
    ),
    ErrorCode.PAYMENT_TERMS_UNREADABLE: _(
        "The account's payment terms “%(terms)s” name no number of days: give a due date."
    ),
    ErrorCode.CREDIT_NOTE_EXCEEDS_INVOICE: _(
        "A credit note on invoice %(invoice)s can be at most its open amount, %(available)s."
    ),
    ErrorCode.PAYMENT_OVER_ALLOCATED: _(
        "The allocation is more than %(what)s: at most %(available)s can be allocated."
    ),
    ErrorCode.CURRENCY_MISMATCH: _(
        "%(object)s %(number)s is in %(currency)s, not in %(expected)s."
    ),
    ErrorCode.CREDIT_LIMIT_EXCEEDED: _(
        "Order %(order)s is over the credit limit of customer %(customer)s: exposure "
        "%(exposure)s plus this order %(amount)s is more than the limit of %(limit)s "
        "%(currency)s. Finance can release it."
    ),
    ErrorCode.CREDIT_CHECK_UNAVAILABLE: _(
        "The credit check of order %(order)s could not be completed: %(reason)s. The order "
        "stays unconfirmed; finance can release it."
    ),
    ErrorCode.CREDIT_NOT_BLOCKED: _(
        "Order %(order)s is not waiting for a credit release: nothing to release."
    ),
}


class CrmError(Exception):
    """A business error with a stable code, an optional input field, and message parameters."""

    def __init__(self, code: ErrorCode, *, field: str | None = None, **params: Any) -> None:
        self.code = code
        self.field = field
        self.params = params
        # Structured details a mutation payload returns beside the error (not in the message).
        self.payload: dict[str, Any] = {}
        super().__init__(f"{code}: {params}")

    @property
    def message(self) -> str:
        """The message in the active language."""
        return str(MESSAGES[self.code]) % {"field": self.field, **self.params}

    def as_extensions(self) -> dict[str, Any]:
        extensions: dict[str, Any] = {"code": self.code.value}
        if self.field is not None:
            extensions["field"] = self.field
        extensions.update({k: str(v) for k, v in self.params.items()})
        return extensions
