"""Cell-to-cell request signatures: rotation, tampering and stale timestamps are refused."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from crm.regions.signing import SignatureError, sign, verify

BODY = b'{"group": "acme", "first_version": 1}'
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
OLD = {"k1": "first-secret-0123456789"}
BOTH = {"k1": "first-secret-0123456789", "k2": "second-secret-9876543210"}
NEW = {"k2": "second-secret-9876543210"}


@override_settings(CELL_SIGNING_KEYS=OLD, CELL_SIGNING_KEY_ID="k1")
def test_signed_body_verifies_and_names_its_key() -> None:
    headers = sign(BODY, purpose="replication", now=NOW)
    assert set(headers) == {"X-Crm-Key-Id", "X-Crm-Timestamp", "X-Crm-Signature"}
    assert headers["X-Crm-Key-Id"] == "k1"
    assert verify(headers, BODY, purpose="replication", now=NOW) == "k1"
    # Header names are matched case-insensitively (WSGI/requests may change their case).
    lowered = {name.lower(): value for name, value in headers.items()}
    assert verify(lowered, BODY, purpose="replication", now=NOW) == "k1"


def test_rotation_old_key_verifies_while_listed_and_is_refused_once_removed() -> None:
    with override_settings(CELL_SIGNING_KEYS=OLD, CELL_SIGNING_KEY_ID="k1"):
        old_headers = sign(BODY, purpose="replication", now=NOW)
    # Rotation window: both keys listed, the new one signs; both signatures are accepted.
    with override_settings(CELL_SIGNING_KEYS=BOTH, CELL_SIGNING_KEY_ID="k2"):
        new_headers = sign(BODY, purpose="replication", now=NOW)
        assert new_headers["X-Crm-Key-Id"] == "k2"
        assert verify(old_headers, BODY, purpose="replication", now=NOW) == "k1"
        assert verify(new_headers, BODY, purpose="replication", now=NOW) == "k2"
    # The old key is dropped: what it signed is refused, the new key still verifies.
    with override_settings(CELL_SIGNING_KEYS=NEW, CELL_SIGNING_KEY_ID="k2"):
        with pytest.raises(SignatureError, match="unknown signing key"):
            verify(old_headers, BODY, purpose="replication", now=NOW)
        assert verify(new_headers, BODY, purpose="replication", now=NOW) == "k2"


@override_settings(CELL_SIGNING_KEYS=BOTH, CELL_SIGNING_KEY_ID="k1")
def test_tampering_is_refused() -> None:
    headers = sign(BODY, purpose="replication", now=NOW)
    with pytest.raises(SignatureError, match="bad signature"):
        verify(headers, BODY.replace(b"1", b"2"), purpose="replication", now=NOW)
    with pytest.raises(SignatureError, match="bad signature"):
        verify(headers, BODY, purpose="fanout", now=NOW)  # signed for another purpose
    forged = {**headers, "X-Crm-Signature": "0" * 64}
    with pytest.raises(SignatureError, match="bad signature"):
        verify(forged, BODY, purpose="replication", now=NOW)
    # The key id is not a free choice: claiming k2 for a k1 signature fails.
    with pytest.raises(SignatureError, match="bad signature"):
        verify({**headers, "X-Crm-Key-Id": "k2"}, BODY, purpose="replication", now=NOW)
    # Moving the timestamp changes the signed text.
    shifted = {**headers, "X-Crm-Timestamp": str(int(headers["X-Crm-Timestamp"]) + 1)}
    with pytest.raises(SignatureError, match="bad signature"):
        verify(shifted, BODY, purpose="replication", now=NOW)
    for missing in ("X-Crm-Key-Id", "X-Crm-Timestamp", "X-Crm-Signature"):
        partial = {name: value for name, value in headers.items() if name != missing}
        with pytest.raises(SignatureError, match="missing header"):
            verify(partial, BODY, purpose="replication", now=NOW)


@override_settings(CELL_SIGNING_KEYS=OLD, CELL_SIGNING_KEY_ID="k1")
def test_stale_or_future_timestamps_are_refused() -> None:
    headers = sign(BODY, purpose="replication", now=NOW)
    assert verify(headers, BODY, purpose="replication", now=NOW + timedelta(seconds=300)) == "k1"
    with pytest.raises(SignatureError, match="stale"):
        verify(headers, BODY, purpose="replication", now=NOW + timedelta(seconds=301))
    with pytest.raises(SignatureError, match="stale"):
        verify(headers, BODY, purpose="replication", now=NOW - timedelta(seconds=301))
    with pytest.raises(SignatureError, match="stale"):
        verify(headers, BODY, purpose="replication", max_skew=10, now=NOW + timedelta(seconds=11))


@override_settings(CELL_SIGNING_KEYS=OLD, CELL_SIGNING_KEY_ID="missing")
def test_signing_with_an_unlisted_key_id_fails_loudly() -> None:
    with pytest.raises(SignatureError, match="not in CELL_SIGNING_KEYS"):
        sign(BODY, purpose="replication")
