"""Request routing: which business unit a request is for, whether this cell serves it, its language.

A BU is chosen by the `X-Business-Unit: <group>.<bu>` header or by host name (a `Domain` row such
as `de.lumina.localhost`). Unknown BU: TENANT_NOT_FOUND. A BU homed in another region: WRONG_REGION
naming that region and its endpoint; the request never touches a tenant schema here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation

from crm.i18n import languages
from crm.platform.accounts.authentication import bearer_token, credentials_for
from crm.platform.core.errors import CrmError, ErrorCode
from crm.platform.permissions.engine import Access
from crm.platform.permissions.models import AuditEntry, AuditEvent
from crm.platform.permissions.policy_data import policy_for
from crm.regions.models import RegionMove
from crm.tenants.db import tenant_connection
from crm.tenants.models import BusinessUnit, Domain

HEADER = "HTTP_X_BUSINESS_UNIT"
# Paths served without a business unit. `/internal/` is cell-to-cell traffic: every view there
# checks the calling cell's signature itself.
PUBLIC_PATHS = ("/healthz", "/internal/", "/metrics")

_STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.NOT_A_MEMBER: 403,
    ErrorCode.TENANT_REQUIRED: 400,
    ErrorCode.TENANT_NOT_FOUND: 404,
    ErrorCode.WRONG_REGION: 421,  # Misdirected Request: ask the right cell
}


def error_response(error: CrmError) -> JsonResponse:
    body = {"errors": [{"message": error.message, "extensions": error.as_extensions()}]}
    return JsonResponse(body, status=_STATUS.get(error.code, 400))


def _business_units() -> QuerySet[BusinessUnit]:
    # `moving`: a region move froze the BU, which then refuses writes (crm.regions.moves).
    queryset: QuerySet[BusinessUnit] = BusinessUnit.objects.select_related(
        "group", "region"
    ).annotate(moving=Exists(RegionMove.objects.filter(business_unit=OuterRef("pk"), frozen=True)))
    return queryset


def find_business_unit(request: HttpRequest) -> BusinessUnit:
    handle = request.META.get(HEADER, "").strip()
    if handle:
        group_code, _dot, bu_code = handle.partition(".")
        found: BusinessUnit | None = (
            _business_units().filter(group__code=group_code, code=bu_code).first()
        )
        if found is None:
            raise CrmError(ErrorCode.TENANT_NOT_FOUND, business_unit=handle)
        return found
    host = request.get_host().split(":")[0].lower()
    domain = (
        Domain.objects.filter(domain=host)
        .select_related("tenant", "tenant__group", "tenant__region")
        .first()
    )
    if domain is not None:
        tenant: BusinessUnit = domain.tenant
        return tenant
    if host.count(".") >= 2:  # looks like `<bu>.<group>.<zone>`: a BU that is not there
        raise CrmError(ErrorCode.TENANT_NOT_FOUND, business_unit=host)
    raise CrmError(ErrorCode.TENANT_REQUIRED)


class BusinessUnitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant_connection().set_schema_to_public()
        if request.path.startswith(PUBLIC_PATHS):
            return self.get_response(request)
        language = languages.from_accept_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        with translation.override(language or languages.LAST_RESORT):
            try:
                business_unit = find_business_unit(request)
            except CrmError as error:
                return error_response(error)
            if business_unit.region_id != settings.REGION:
                return error_response(
                    CrmError(
                        ErrorCode.WRONG_REGION,
                        business_unit=business_unit.handle,
                        region=business_unit.region_id,
                        endpoint=business_unit.region.api_endpoint,
                    )
                )
        request.tenant = business_unit  # type: ignore[attr-defined]
        tenant_connection().set_tenant(business_unit)
        try:
            return self.get_response(request)
        finally:
            tenant_connection().set_schema_to_public()


def client_address(request: HttpRequest) -> str:
    # Behind a proxy, configure it to set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    return str(request.META.get("REMOTE_ADDR", ""))[:60]


def _audit_bad_token(request: HttpRequest, business_unit: BusinessUnit, token: str | None) -> None:
    """An unknown, revoked or expired token, recorded against the BU it was sent to.

    Only the token's public prefix is kept (`crm_<kind><prefix>`), never the secret.
    """
    shown = "_".join(token.split("_")[:2])[:20] if token else "malformed header"
    AuditEntry.objects.create(
        group_id=business_unit.group_id,
        business_unit=business_unit,
        event=AuditEvent.DENIED,
        actor=f"token {shown}",
        action="authenticate",
        code=ErrorCode.UNAUTHENTICATED.value,
        origin=client_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )


class AccessMiddleware:
    """Who is calling: a bearer token becomes the request's `access` in its business unit.

    No header: `access` is None and every resolver but sign-in answers UNAUTHENTICATED. A bad,
    revoked or expired token: 401. A valid principal without a role in this BU (another group,
    another BU): 403 NOT_A_MEMBER, audited. The access's audit queue is written after the
    response is built, outside any transaction a refused mutation rolled back.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        business_unit: BusinessUnit | None = getattr(request, "tenant", None)
        request.access = None  # type: ignore[attr-defined]
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if business_unit is None or not header:
            return self.get_response(request)
        language = languages.from_accept_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        with translation.override(language or business_unit.language):
            token = bearer_token(header)
            try:
                if token is None:
                    raise CrmError(ErrorCode.UNAUTHENTICATED)
                credentials = credentials_for(token)
            except CrmError as error:
                _audit_bad_token(request, business_unit, token)
                return error_response(error)
            access = Access(
                credentials.principal,
                business_unit,
                policy_for(credentials.principal),
                origin=client_address(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
            if not access.grants:
                refusal = CrmError(ErrorCode.NOT_A_MEMBER, business_unit=business_unit.handle)
                access.audit(AuditEvent.DENIED, action="access", code=refusal.code.value)
                access.flush()
                return error_response(refusal)
        request.access = access  # type: ignore[attr-defined]
        if credentials.user is not None:
            request.user = credentials.user
        try:
            return self.get_response(request)
        finally:
            access.flush()


class RequestLanguageMiddleware:
    """Activates the request's language: user preference, Accept-Language, then the BU's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        business_unit: BusinessUnit | None = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        language = languages.request_language(
            user_language=getattr(user, "language", None)
            if user and user.is_authenticated
            else None,
            accept_language=request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
            default=business_unit.language if business_unit else languages.LAST_RESORT,
        )
        request.LANGUAGE_CODE = language
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
