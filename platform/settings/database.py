"""PostgreSQL through django-tenants' backend; one database per cell."""

from crm.infra import endpoints
from crm.platform.settings.base import REGION
from crm.platform.settings.env import env

_default_url = endpoints.database_url(
    env.str("DATABASE_NAME", default=endpoints.cell_database(REGION))
)
DATABASES = {"default": env.db_url("DATABASE_URL", default=_default_url)}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_crm")}
# Every connection says which cell it serves: the replication triggers read it (crm.replication).
_options = DATABASES["default"].setdefault("OPTIONS", {})
_options["options"] = f"{_options.get('options', '')} -c crm.region={REGION}".strip()
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
