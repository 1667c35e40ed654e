"""Which BU a request is for, whether this cell serves it, and what a request may ask for."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.graphql.core.limits import depth_limit_rule
from crm.graphql.schema import schema
from graphql import parse, validate

QUERY = "{ businessUnit { code } }"


def test_bu_is_chosen_by_host_name(world, graphql):
    reply = graphql(QUERY, bu=None, host="hq.acme.localhost")
    assert reply.data == {"businessUnit": {"code": "hq"}}


def test_no_business_unit_is_a_typed_error(world, graphql):
    reply = graphql(QUERY, bu=None, host="localhost")
    assert reply.status == 400
    assert reply.codes == ["TENANT_REQUIRED"]


@pytest.mark.parametrize(("bu", "host"), [("acme.xx", "testserver"), (None, "zz.acme.localhost")])
def test_unknown_business_unit_is_a_typed_error(world, graphql, bu, host):
    reply = graphql(QUERY, bu=bu, host=host)
    assert reply.status == 404
    assert reply.codes == ["TENANT_NOT_FOUND"]


def test_bu_of_another_region_is_refused_naming_its_region_and_no_tenant_query_runs(world, graphql):
    with CaptureQueriesContext(connection) as queries:
        reply = graphql(QUERY, bu="acme.de")
    assert reply.status == 421
    assert reply.codes == ["WRONG_REGION"]
    assert reply.errors[0]["extensions"]["region"] == "eu"
    assert reply.errors[0]["extensions"]["endpoint"] == "https://eu.cells.example/graphql/"
    assert "data" not in reply.body
    assert all("bu_acme_de" not in q["sql"] for q in queries.captured_queries)
    assert all(
        "search_path" not in q["sql"] or "bu_" not in q["sql"] for q in queries.captured_queries
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Business unit “acme.xx” does not exist."),
        ("zh-CN", "业务单元“acme.xx”不存在。"),
        ("de-DE", "Die Geschäftseinheit „acme.xx“ existiert nicht."),
        ("ja", "事業単位「acme.xx」は存在しません。"),
    ],
)
def test_error_messages_are_translated(world, graphql, language, expected):
    reply = graphql(QUERY, bu="acme.xx", language=language)
    assert reply.errors[0]["message"] == expected


def test_graphql_error_messages_follow_the_request_language(world, graphql):
    reply = graphql("{ materials { totalCount } }", language="ja")
    assert reply.codes == ["PAGE_SIZE_REQUIRED"]
    assert reply.errors[0]["message"] == "「first」または「last」で返す件数を指定してください。"


def test_oversized_query_is_refused_before_parsing(world, graphql, settings):
    settings.GRAPHQL_MAX_QUERY_BYTES = 200
    reply = graphql("{ businessUnit { code } }" + " " * 300)
    assert reply.status == 400
    assert reply.codes == ["QUERY_TOO_LARGE"]


def test_too_deep_query_is_refused_through_fragments_too(world, graphql):
    deep = "query Deep { ...F } fragment F on Query { businessUnit { region { code } } }"
    assert graphql(deep).codes == []  # depth 2 is within the endpoint's limit
    errors = validate(schema.graphql_schema, parse(deep), [depth_limit_rule(1)])
    assert [e.extensions["code"] for e in errors if e.extensions] == ["QUERY_TOO_DEEP"]


def test_too_many_aliases_are_refused(world, graphql):
    aliases = " ".join(f"a{i}: businessUnit {{ code }}" for i in range(31))
    reply = graphql("{ " + aliases + " }")
    assert reply.codes == ["TOO_MANY_ALIASES"]
    assert "data" not in reply.body or reply.body["data"] is None
