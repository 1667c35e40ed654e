"""The internal endpoint: only a request signed by a cell for "aggregate" is computed; anything
else is refused before the body is even parsed, and nothing is read from any BU."""

from __future__ import annotations

import datetime
import json
from datetime import UTC

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.regions.federation.contract import SIGNING_PURPOSE, AggregateRequest
from crm.regions.signing import KEY_ID_HEADER, SIGNATURE_HEADER, sign
from crm.tests.groupviews.helpers import hq_today, pipeline_at, signed
from crm.tests.opportunities.helpers import make_deal

URL = "/internal/aggregates/pipeline"


def post(client, body: bytes, headers: dict[str, str], url: str = URL):
    return client.post(url, data=body, content_type="application/json", headers=headers)


def request_for(region: str = "cn", group: str = "acme") -> AggregateRequest:
    today = hq_today()
    return AggregateRequest(group, "pipeline", pipeline_at(today), today, region)


def touched_business_data(queries) -> bool:
    return any(
        "opportunities_" in query["sql"] or "tenants_group" in query["sql"] for query in queries
    )


def test_a_signed_request_is_answered_with_the_cells_rows(world, client):
    make_deal(stage="qualification", amount="10.00", as_="acme.director", bu="hq")
    body, headers = signed(request_for())
    response = post(client, body, headers)
    assert response.status_code == 200
    answer = response.json()
    assert answer["region"] == "cn"
    assert answer["business_units"] == ["hq"]
    assert sum(row["count"] for row in answer["rows"]) == 1


def _unsigned(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return body, {}


def _tampered(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return body.replace(b'"acme"', b'"rival"'), headers


def _unknown_key(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return body, {**headers, KEY_ID_HEADER: "retired"}


def _forged(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return body, {**headers, SIGNATURE_HEADER: "0" * 64}


def _other_purpose(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    return body, sign(body, purpose="replication")


def _stale(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    an_hour_ago = datetime.datetime.now(UTC) - datetime.timedelta(hours=1)
    return body, sign(body, purpose=SIGNING_PURPOSE, now=an_hour_ago)


@pytest.mark.parametrize(
    "spoil", [_unsigned, _tampered, _unknown_key, _forged, _other_purpose, _stale]
)
def test_a_request_not_signed_for_aggregates_is_refused_and_nothing_is_computed(
    world, client, spoil
):
    make_deal(stage="qualification", amount="10.00", as_="acme.director", bu="hq")
    body, headers = spoil(*signed(request_for()))
    with CaptureQueriesContext(connection) as queries:
        response = post(client, body, headers)
    assert response.status_code == 403
    assert response.json() == {"refused": "SIGNATURE"}
    assert not touched_business_data(queries.captured_queries)


def test_a_signed_request_for_another_cell_or_group_is_refused(world, client):
    body, headers = signed(request_for(region="eu"))
    with CaptureQueriesContext(connection) as queries:
        response = post(client, body, headers)
    assert response.status_code == 421
    assert response.json() == {"refused": "OTHER_CELL"}
    assert not touched_business_data(queries.captured_queries)
    body, headers = signed(request_for(group="nobody"))
    response = post(client, body, headers)
    assert response.status_code == 404
    assert response.json() == {"refused": "GROUP_NOT_FOUND"}


def test_a_signed_but_malformed_request_is_a_bad_request(world, client):
    for body in (b"not json", b"[]", json.dumps({"contract": 99}).encode()):
        response = post(client, body, sign(body, purpose=SIGNING_PURPOSE))
        assert response.status_code == 400
    body, headers = signed(request_for())
    response = post(client, body, headers, url="/internal/aggregates/lead_sources")
    assert response.status_code == 400  # the path and the body name different aggregates


def test_the_endpoint_takes_posts_only(world, client):
    assert client.get(URL).status_code == 405
