"""Cell to cell for a region move: signed HTTP requests and the receiving endpoint.

The source cell drives the move and calls the others at `/internal/regions/moves/<action>`,
each request signed with `crm.regions.signing` for the purpose "region-move" (a signature made
for replication or fan-out is refused here, and the reverse):

- `import` (target): the gzip-compressed bundle; answers the target's checksums.
- `checksums` (target): `{"business_unit": handle}`; answers the checksums of its schema.
- `switch` (home cell, target, others): `{"business_unit": handle, "region": code}`; writes the
  directory (the home cell) or applies it as a replica (the others).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.regions import signing
from crm.regions.models import Region
from crm.regions.moves.errors import MoveError
from crm.tenants.models import BusinessUnit

PURPOSE = "region-move"
TIMEOUT = 300.0


def cell_url(region: str) -> str:
    """Where a cell takes cell-to-cell requests: CELL_ENDPOINTS, else its public endpoint's host
    (as replication finds it)."""
    configured: dict[str, str] = settings.CELL_ENDPOINTS
    if region in configured:
        return configured[region].rstrip("/")
    found = Region.objects.filter(code=region).first()
    if found is None:
        raise MoveError(f"region {region} is not in the directory")
    parts = urlsplit(found.api_endpoint)
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")).rstrip("/")


def call(region: str, action: str, body: bytes, *, timeout: float = TIMEOUT) -> dict[str, Any]:
    """POST a signed request to another cell; its JSON answer, or MoveError."""
    url = f"{cell_url(region)}/internal/regions/moves/{action}"
    headers = {"Content-Type": "application/octet-stream", **signing.sign(body, purpose=PURPOSE)}
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read() or b"{}")
            return answer
    except urllib.error.HTTPError as error:
        detail = error.read()[:500].decode(errors="replace")
        raise MoveError(f"{action} in cell {region} failed ({error.code}): {detail}") from error
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise MoveError(f"cell {region} did not answer {action}: {error}") from error


def call_json(region: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    return call(region, action, json.dumps(payload).encode(), timeout=60.0)


# -- the receiving side --------------------------------------------------------------------------


def _business_unit(handle: str) -> BusinessUnit:
    group_code, _dot, code = str(handle).partition(".")
    found: BusinessUnit | None = (
        BusinessUnit.objects.select_related("group")
        .filter(group__code=group_code, code=code)
        .first()
    )
    if found is None:
        raise MoveError(f"business unit {handle} is not in this cell's directory")
    return found


def _answer(action: str, body: bytes) -> dict[str, Any]:
    from crm.regions.moves import bundle, directory, tables

    if action == "import":
        return bundle.import_business_unit(bundle.decode(body))
    payload = json.loads(body or b"{}")
    business_unit = _business_unit(payload.get("business_unit", ""))
    if action == "checksums":
        return {
            "region": business_unit.region_id,
            "checksums": tables.checksums(business_unit.schema_name),
        }
    if action == "switch":
        region = Region.objects.filter(code=payload.get("region", "")).first()
        if region is None:
            raise MoveError(f"region {payload.get('region')!r} is unknown here")
        if business_unit.group.home_region_id == settings.REGION:
            changed = directory.switch_business_unit_region(
                business_unit=business_unit, region=region
            )
        else:
            changed = directory.apply_switch_as_replica(business_unit=business_unit, region=region)
        return {"changed": changed, "region": region.code}
    raise MoveError(f"unknown action {action!r}")


@csrf_exempt
@require_POST
def region_move_endpoint(request: HttpRequest, action: str) -> HttpResponseBase:
    body = request.read()
    try:
        signing.verify(request.headers, body, purpose=PURPOSE)
    except signing.SignatureError as error:
        return JsonResponse({"error": f"refused: {error.reason}"}, status=403)
    try:
        return JsonResponse(_answer(action, body))
    except MoveError as error:
        return JsonResponse({"error": str(error)}, status=409)
