"""django-tenants: a business unit is a tenant; new schemas are cloned from a template."""

TENANT_MODEL = "tenants.BusinessUnit"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New BU schemas are copied from this migrated template instead of being migrated one by one.
TENANT_BASE_SCHEMA = "bu_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# Requests choose their BU in crm.platform.web.middleware, not through django-tenants' own.
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
# Set the search path once per connection and tenant switch, not before every query.
TENANT_LIMIT_SET_CALLS = True
