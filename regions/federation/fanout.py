"""The HQ side of a group view: ask every cell holding BUs of the group, combine the answers.

Which cells: every region of the directory where the group has a business unit. This cell's own
part is computed in-process (no HTTP to itself) while the other cells are asked concurrently
over HTTP, each request signed for the purpose "aggregate". All of them share one deadline
(`settings.GROUP_VIEW_TIMEOUT`, from the start of the fan-out): a cell that has not answered by
then is TIMEOUT; a refused connection or a cell without a configured endpoint UNREACHABLE; a
refusal REFUSED; a failure or an answer outside the contract ERROR; "cannot compute this here"
UNAVAILABLE. Every such cell is listed in `missing_regions` and the view is not `complete`; the
rows of the cells that answered are kept.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from crm.regions.federation import cell
from crm.regions.federation.contract import (
    CONTRACT_VERSION,
    PATH,
    SIGNING_PURPOSE,
    Aggregate,
    AggregateRequest,
    CellStatus,
    ContractError,
    aggregate_named,
)
from crm.regions.signing import sign
from crm.tenants.models import BusinessUnit, Group

log = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 20 * 1024 * 1024


@dataclass
class CellAnswer:
    """One cell's part: its status, how long it took, and its rows when OK."""

    region: str
    status: CellStatus
    elapsed_ms: int
    detail: str = ""  # why it is not OK: a refusal code, an HTTP status, a contract problem
    business_units: tuple[str, ...] = ()
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class GroupView:
    """The combined answer: every asked cell with its status, and the rows of those that
    answered, each row marked with its `region`."""

    group: Group
    aggregate: str
    parameters: Mapping[str, Any]
    as_of: datetime.date
    cells: list[CellAnswer]

    @property
    def missing_regions(self) -> list[str]:
        return [answer.region for answer in self.cells if answer.status is not CellStatus.OK]

    @property
    def complete(self) -> bool:
        return not self.missing_regions

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [
            {**row, "region": answer.region}
            for answer in self.cells
            if answer.status is CellStatus.OK
            for row in answer.rows
        ]


def regions_of(group: Group) -> list[str]:
    """The regions where the group has business units (the cells to ask)."""
    return sorted(set(BusinessUnit.objects.filter(group=group).values_list("region_id", flat=True)))


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _read_answer(
    aggregate: Aggregate, request: AggregateRequest, group: Group, data: Any
) -> tuple[CellStatus, str, tuple[str, ...], list[dict[str, Any]]]:
    """Check an answer against the request and the contract: (status, detail, BUs, rows)."""
    if not isinstance(data, dict):
        raise ContractError("the answer is not an object")
    expected = {
        "contract": CONTRACT_VERSION,
        "region": request.region,
        "group": group.code,
        "aggregate": aggregate.name,
        "as_of": request.as_of.isoformat(),
        "currency": group.currency,
    }
    for name, value in expected.items():
        if data.get(name) != value:
            raise ContractError(f"{name} is {data.get(name)!r}, expected {value!r}")
    units = data.get("business_units")
    if not isinstance(units, list) or not all(isinstance(code, str) for code in units):
        raise ContractError("business_units must be a list of codes")
    if data.get("available") is False:
        return CellStatus.UNAVAILABLE, str(data.get("reason", ""))[:100], tuple(units), []
    if data.get("available") is not True:
        raise ContractError("available must be true or false")
    return CellStatus.OK, "", tuple(units), aggregate.read_rows(data.get("rows"))


def _local(
    aggregate: Aggregate, request: AggregateRequest, group: Group, started: float
) -> CellAnswer:
    try:
        data = cell.answer(request)
        status, detail, units, rows = _read_answer(aggregate, request, group, data)
    except cell.RefusedError as refusal:
        return CellAnswer(request.region, CellStatus.REFUSED, _elapsed_ms(started), refusal.refusal)
    except Exception as error:  # the view reports this cell as failed, never drops it
        log.exception("group view %s: this cell's part failed", aggregate.name)
        return CellAnswer(
            request.region, CellStatus.ERROR, _elapsed_ms(started), type(error).__name__
        )
    return CellAnswer(request.region, status, _elapsed_ms(started), detail, units, rows)


def _post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[int, bytes]:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an HTTP endpoint: {url!r}")
    request = urllib.request.Request(  # noqa: S310  (scheme checked above)
        url, data=body, headers={**headers, "Content-Type": "application/json"}, method="POST"
    )
    # Cells talk to each other directly: no proxy from the environment in between.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status), response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as error:
        return int(error.code), error.read(MAX_ANSWER_BYTES)


def _remote(
    aggregate: Aggregate,
    request: AggregateRequest,
    group: Group,
    endpoint: str,
    timeout: float,
    started: float,
) -> CellAnswer:
    region = request.region
    body = request.to_bytes()
    url = f"{endpoint.rstrip('/')}{PATH}{aggregate.name}"
    try:
        status_code, payload = _post(url, body, sign(body, purpose=SIGNING_PURPOSE), timeout)
    except TimeoutError:
        return CellAnswer(region, CellStatus.TIMEOUT, _elapsed_ms(started), "timed out")
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            return CellAnswer(region, CellStatus.TIMEOUT, _elapsed_ms(started), "timed out")
        return CellAnswer(region, CellStatus.UNREACHABLE, _elapsed_ms(started), str(reason)[:200])
    except (OSError, ValueError) as error:
        return CellAnswer(region, CellStatus.UNREACHABLE, _elapsed_ms(started), str(error)[:200])
    elapsed = _elapsed_ms(started)
    try:
        data = json.loads(payload)
    except ValueError:
        return CellAnswer(region, CellStatus.ERROR, elapsed, f"HTTP {status_code}, not JSON")
    if status_code in (403, 404, 421) and isinstance(data, dict) and "refused" in data:
        return CellAnswer(region, CellStatus.REFUSED, elapsed, str(data["refused"])[:100])
    if status_code != 200:
        return CellAnswer(region, CellStatus.ERROR, elapsed, f"HTTP {status_code}")
    try:
        status, detail, units, rows = _read_answer(aggregate, request, group, data)
    except ContractError as error:
        log.warning(
            "group view %s: the answer of %s is outside the contract: %s",
            aggregate.name,
            region,
            error,
        )
        return CellAnswer(region, CellStatus.ERROR, elapsed, str(error)[:200])
    return CellAnswer(region, status, elapsed, detail, units, rows)


def group_view(
    group: Group,
    aggregate_name: str,
    parameters: Mapping[str, Any],
    *,
    as_of: datetime.date,
    regions: Sequence[str] | None = None,
    timeout: float | None = None,
) -> GroupView:
    """Ask the cells holding the group's BUs for an aggregate, and combine their answers.

    ContractError (before anything is sent) for an unknown aggregate or bad parameters.
    """
    aggregate = aggregate_named(aggregate_name)
    cleaned = aggregate.clean_parameters(parameters)
    asked = list(regions) if regions is not None else regions_of(group)
    limit = float(settings.GROUP_VIEW_TIMEOUT if timeout is None else timeout)
    endpoints: Mapping[str, str] = settings.CELL_ENDPOINTS
    started = time.monotonic()

    def request_for(region: str) -> AggregateRequest:
        return AggregateRequest(group.code, aggregate.name, cleaned, as_of, region)

    answers: dict[str, CellAnswer] = {}
    remote = [region for region in asked if region != settings.REGION]
    futures: dict[str, Future[CellAnswer]] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, len(remote)), thread_name_prefix="group-view")
    try:
        for region in remote:
            endpoint = endpoints.get(region)
            if not endpoint:
                answers[region] = CellAnswer(
                    region, CellStatus.UNREACHABLE, 0, "no endpoint configured for this cell"
                )
                continue
            futures[region] = pool.submit(
                _remote, aggregate, request_for(region), group, endpoint, limit, started
            )
        if settings.REGION in asked:
            answers[settings.REGION] = _local(
                aggregate, request_for(settings.REGION), group, started
            )
        remaining = max(0.0, limit - (time.monotonic() - started))
        wait(futures.values(), timeout=remaining)
        for region, future in futures.items():
            if future.done():
                error = future.exception()
                answers[region] = (
                    future.result()
                    if error is None
                    else CellAnswer(
                        region, CellStatus.ERROR, _elapsed_ms(started), type(error).__name__
                    )
                )
                if error is not None:
                    log.error("group view %s: asking %s failed: %r", aggregate.name, region, error)
            else:
                answers[region] = CellAnswer(
                    region, CellStatus.TIMEOUT, _elapsed_ms(started), "no answer in time"
                )
    finally:
        # Late answers are not waited for: their threads end with their socket timeout.
        pool.shutdown(wait=False, cancel_futures=True)
    return GroupView(
        group=group,
        aggregate=aggregate.name,
        parameters=cleaned,
        as_of=as_of,
        cells=[answers[region] for region in asked],
    )
