"""Evaluating the BU's rules for an event: conditions, then actions, once per occurrence."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crm.platform.permissions.engine import Access
    from crm.tenants.automation.events import Event


def run(access: Access, event: Event) -> None:
    """Fire every active rule of the BU that `event` triggers and whose conditions hold."""
    # The rule engine is being built (issue #5, automation); until then no rule fires.
    del access, event
