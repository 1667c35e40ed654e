"""How cells find and trust each other: signing keys for cell-to-cell requests and endpoints.

Cells call each other over HTTP (replication batches, group-wide aggregate fan-out). Every such
request is signed with a shared HMAC key (see ``crm.regions.signing``). Several keys may be listed
at once so a key can be rotated without downtime: add the new key everywhere, switch
``CELL_SIGNING_KEY_ID`` to it, then remove the old one.
"""

from crm.infra import endpoints
from crm.platform.settings.env import env

# Key id -> shared secret. Verification accepts any listed key; signing uses CELL_SIGNING_KEY_ID.
CELL_SIGNING_KEYS: dict[str, str] = env.json(
    "CELL_SIGNING_KEYS", default={"local": "insecure-local-cell-signing-key-change-me"}
)
CELL_SIGNING_KEY_ID: str = env.str("CELL_SIGNING_KEY_ID", default=next(iter(CELL_SIGNING_KEYS)))

# Region code -> base URL of that cell (no trailing slash). Defaults to the local demo cells.
CELL_ENDPOINTS: dict[str, str] = env.json(
    "CELL_ENDPOINTS",
    default={
        region: f"http://{endpoints.CELL_HOST}:{port}"
        for region, (port, _db) in endpoints.CELLS.items()
    },
)

# How long the HQ cell waits for the other cells' answers to a group-wide view (seconds); a cell
# that has not answered by then is reported as missing (TIMEOUT), never left out silently.
GROUP_VIEW_TIMEOUT: float = env.float("GROUP_VIEW_TIMEOUT", default=2.0)
# The same deadline for the credit check before an order is confirmed (a customer's exposure
# from every cell); a cell that has not answered by then makes the check fail safe.
CREDIT_CHECK_TIMEOUT: float = env.float("CREDIT_CHECK_TIMEOUT", default=2.0)

# Replication of group master data from a group's home cell (crm.replication): entries per batch
# (a batch is extended to the end of its last transaction, up to the maximum), HTTP time-out in
# seconds, and the longest back-off after failures.
REPLICATION_BATCH_SIZE: int = env.int("REPLICATION_BATCH_SIZE", default=500)
REPLICATION_BATCH_MAX: int = env.int("REPLICATION_BATCH_MAX", default=5000)
REPLICATION_HTTP_TIMEOUT: float = env.float("REPLICATION_HTTP_TIMEOUT", default=10.0)
REPLICATION_MAX_BACKOFF: float = env.float("REPLICATION_MAX_BACKOFF", default=300.0)
# Largest batch body sent, and received (bytes); a batch above it is split.
REPLICATION_BATCH_BYTES: int = env.int("REPLICATION_BATCH_BYTES", default=8_000_000)
REPLICATION_MAX_BODY: int = env.int("REPLICATION_MAX_BODY", default=64_000_000)
# Acknowledged outbox entries are kept this many days (a cell restored from an older backup can
# catch up within it; beyond, `manage.py replicate --snapshot GROUP`).
REPLICATION_OUTBOX_DAYS: int = env.int("REPLICATION_OUTBOX_DAYS", default=7)
# Whether this cell's workers push its groups' changes to the other cells.
REPLICATION_ENABLED: bool = env.bool("REPLICATION_ENABLED", default=True)
