"""HMAC-SHA256 signatures on cell-to-cell HTTP requests, with key rotation.

Cells call each other (replication batches from the home cell, aggregate fan-out from HQ). A
receiving cell must know that a request comes from a cell holding a shared secret, that its body
was not altered on the way, and that it is not an old request played again much later. So the
sender signs ``purpose``, a timestamp and the SHA-256 of the exact body bytes, and sends the key id,
timestamp and signature as headers. The purpose ("replication", "fanout", ...) is part of the
signed text so that a signature made for one kind of request cannot be replayed against another.

Keys rotate without downtime: ``settings.CELL_SIGNING_KEYS`` lists every key currently valid
(key id -> secret); ``verify`` accepts any of them, ``sign`` uses ``settings.CELL_SIGNING_KEY_ID``.
To rotate: list the new key in every cell, switch the signing key id, then drop the old key. A key
that is no longer listed is refused.

Replay protection within the skew window is the caller's business (replication batches carry
versions and are idempotent; fan-out requests are read-only).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

from django.conf import settings

KEY_ID_HEADER = "X-Crm-Key-Id"
TIMESTAMP_HEADER = "X-Crm-Timestamp"
SIGNATURE_HEADER = "X-Crm-Signature"


class SignatureError(Exception):
    """A request's signature cannot be trusted; ``reason`` says why (for logs and incidents)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _keys() -> dict[str, str]:
    keys = settings.CELL_SIGNING_KEYS
    if not isinstance(keys, dict):
        raise SignatureError("CELL_SIGNING_KEYS is not a mapping of key id to secret")
    return {str(key_id): str(secret) for key_id, secret in keys.items()}


def _digest(secret: str, *, purpose: str, timestamp: str, body: bytes) -> str:
    body_hash = hashlib.sha256(body).hexdigest()
    message = f"{purpose}\n{timestamp}\n{body_hash}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(body: bytes, *, purpose: str, now: datetime | None = None) -> dict[str, str]:
    """Headers that authenticate ``body`` for ``purpose``, signed with the current key."""
    key_id = str(settings.CELL_SIGNING_KEY_ID)
    secret = _keys().get(key_id)
    if secret is None:
        raise SignatureError(f"signing key {key_id!r} is not in CELL_SIGNING_KEYS")
    timestamp = str(int((now or datetime.now(UTC)).timestamp()))
    return {
        KEY_ID_HEADER: key_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: _digest(secret, purpose=purpose, timestamp=timestamp, body=body),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header by name, case-insensitively (Django's request.headers or a plain dict)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, candidate in headers.items():
            if key.lower() == lowered:
                value = candidate
                break
    if not value:
        raise SignatureError(f"missing header {name}")
    return value


def verify(
    headers: Mapping[str, str],
    body: bytes,
    *,
    purpose: str,
    max_skew: int = 300,
    now: datetime | None = None,
) -> str:
    """The key id that signed ``body`` for ``purpose``; ``SignatureError`` if untrustworthy."""
    key_id = _header(headers, KEY_ID_HEADER)
    timestamp = _header(headers, TIMESTAMP_HEADER)
    signature = _header(headers, SIGNATURE_HEADER)
    secret = _keys().get(key_id)
    if secret is None:
        raise SignatureError(f"unknown signing key {key_id!r}")
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise SignatureError("malformed timestamp") from None
    expected = _digest(secret, purpose=purpose, timestamp=timestamp, body=body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise SignatureError("bad signature")
    current = int((now or datetime.now(UTC)).timestamp())
    if abs(current - signed_at) > max_skew:
        raise SignatureError(f"stale timestamp ({current - signed_at} s off)")
    return key_id
