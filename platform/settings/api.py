"""GraphQL: one endpoint per cell, with size limits."""

from crm.platform.settings.env import env

GRAPHENE = {
    "SCHEMA": "crm.graphql.schema.schema",
    "RELAY_CONNECTION_MAX_LIMIT": 100,
    # Hidden fields: one middleware asks the policy engine before any governed field resolves.
    "MIDDLEWARE": ["crm.graphql.core.permissions.FieldPolicyMiddleware"],
}
GRAPHIQL_ENABLED = env.bool("GRAPHIQL_ENABLED", default=True)
GRAPHQL_INTROSPECTION_ENABLED = env.bool("GRAPHQL_INTROSPECTION_ENABLED", default=True)
GRAPHQL_MAX_DEPTH = env.int("GRAPHQL_MAX_DEPTH", default=10)
GRAPHQL_MAX_QUERY_BYTES = env.int("GRAPHQL_MAX_QUERY_BYTES", default=20_000)
GRAPHQL_MAX_ALIASES = env.int("GRAPHQL_MAX_ALIASES", default=30)
GRAPHQL_MAX_PAGE_SIZE = 100
# Sign-in tokens expire after this many seconds; API keys last until revoked.
USER_TOKEN_LIFETIME = env.int("USER_TOKEN_LIFETIME", default=12 * 3600)
