"""The GraphQL schema of a cell: every area's queries, one endpoint."""

import graphene

from crm.graphql.core.errors import Error, ErrorCode
from crm.graphql.masterdata.queries import MasterdataQueries
from crm.graphql.tenants.queries import TenancyQueries


class Query(TenancyQueries, MasterdataQueries, graphene.ObjectType):
    pass


schema = graphene.Schema(query=Query, types=[Error, ErrorCode])
