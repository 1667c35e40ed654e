"""The committed SDL is the live schema: a change to the API shows up in review."""

from crm.platform.core.management.commands.graphql_schema_snapshot import SNAPSHOT, live_sdl


def test_committed_sdl_matches_the_live_schema():
    assert SNAPSHOT.read_text(encoding="utf-8") == live_sdl(), "run `make schema` and commit"
