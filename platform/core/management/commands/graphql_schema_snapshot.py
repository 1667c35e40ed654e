"""Compare the live GraphQL schema with graphql/schema.graphql, or --write it."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

SNAPSHOT = Path(__file__).resolve().parents[4] / "graphql" / "schema.graphql"


def live_sdl() -> str:
    from crm.graphql.schema import schema

    return str(schema).strip() + "\n"


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="Overwrite the snapshot.")

    def handle(self, *args: Any, **options: Any) -> None:
        sdl = live_sdl()
        if options["write"]:
            SNAPSHOT.write_text(sdl, encoding="utf-8")
            self.stdout.write(f"Wrote {SNAPSHOT.name}")
            return
        if not SNAPSHOT.exists() or SNAPSHOT.read_text(encoding="utf-8") != sdl:
            raise CommandError(
                "The live schema differs from graphql/schema.graphql: `make schema`."
            )
        self.stdout.write("The live schema matches graphql/schema.graphql.")
