"""GraphQL: one endpoint per cell, with size limits."""

from crm.platform.settings.env import env

GRAPHENE = {
    "SCHEMA": "crm.graphql.schema.schema",
    "RELAY_CONNECTION_MAX_LIMIT": 100,
}
GRAPHIQL_ENABLED = env.bool("GRAPHIQL_ENABLED", default=True)
GRAPHQL_INTROSPECTION_ENABLED = env.bool("GRAPHQL_INTROSPECTION_ENABLED", default=True)
GRAPHQL_MAX_DEPTH = env.int("GRAPHQL_MAX_DEPTH", default=10)
GRAPHQL_MAX_QUERY_BYTES = env.int("GRAPHQL_MAX_QUERY_BYTES", default=20_000)
GRAPHQL_MAX_ALIASES = env.int("GRAPHQL_MAX_ALIASES", default=30)
GRAPHQL_MAX_PAGE_SIZE = 100
