"""A query text that parsed and validated once is not parsed and validated again; a refused
one is judged again each time (its message is in the request's language)."""

from __future__ import annotations

from unittest import mock

import graphene_django.views

from crm.graphql.core import view

QUERY = "query($n: Int!) { materials(first: $n) { edges { node { code } } } }"
TOO_DEEP = "{ businessUnit { region { code } } }"


def test_a_valid_query_is_validated_once_and_runs_with_each_requests_variables(world, graphql):
    view._valid_documents.pop((QUERY, view._rules_key()), None)
    with mock.patch.object(
        graphene_django.views, "validate", wraps=graphene_django.views.validate
    ) as validate:
        one = graphql(QUERY, {"n": 1})
        three = graphql(QUERY, {"n": 3})
        again = graphql(QUERY, {"n": 1})
    assert validate.call_count == 1
    assert (QUERY, view._rules_key()) in view._valid_documents
    assert len(one.data["materials"]["edges"]) == 1
    assert len(three.data["materials"]["edges"]) == 3
    assert again.body == one.body


def test_a_refused_query_is_judged_again_in_each_language(world, graphql, settings):
    settings.GRAPHQL_MAX_DEPTH = 1  # the view reads its rules per request
    german = graphql(TOO_DEEP, language="de")
    japanese = graphql(TOO_DEEP, language="ja")
    assert german.codes == japanese.codes == ["QUERY_TOO_DEEP"]
    assert german.errors[0]["message"] != japanese.errors[0]["message"]
    assert (TOO_DEEP, view._rules_key()) not in view._valid_documents
