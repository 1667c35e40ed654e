"""gettext catalogs under i18n/locale, handled with Babel (pure Python: no system gettext).

python -m crm.i18n.catalogs extract   # refresh django.pot and merge it into every .po
python -m crm.i18n.catalogs compile   # .po -> .mo (run by make before the server and tests)
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "django"
# Django's locale folder names for the project's languages.
LOCALES = {"en": "en", "zh-hans": "zh_Hans", "de": "de", "ja": "ja"}
KEYWORDS = {"_": None, "gettext": None, "gettext_lazy": None, "pgettext_lazy": ((1, "c"), 2)}
SOURCE_AREAS = ("platform", "tenants", "regions", "replication", "masterdata", "graphql", "i18n")


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    template = Catalog(project="crm", domain=DOMAIN)
    for area in SOURCE_AREAS:
        messages = extract_from_dir(
            str(ROOT / area),
            method_map=[("**/migrations/**", "ignore"), ("**.py", "python")],
            keywords=KEYWORDS,
        )
        for filename, lineno, message, comments, context in messages:
            template.add(
                message,
                None,
                [(f"{area}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def update() -> None:
    template = extract()
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOCALE_DIR / f"{DOMAIN}.pot", "wb") as handle:
        write_po(handle, template, omit_header=False, sort_output=True)
    for locale in LOCALES.values():
        path = po_path(locale)
        if path.exists():
            with open(path, "rb") as handle:
                catalog = read_po(handle, locale=locale)
            catalog.update(template, no_fuzzy_matching=True)
        else:
            catalog = Catalog(locale=locale, domain=DOMAIN, project="crm")
            catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            write_po(handle, catalog, sort_output=True, ignore_obsolete=True)


def compile_all() -> int:
    compiled = 0
    for locale in LOCALES.values():
        path = po_path(locale)
        if not path.exists():
            continue
        with open(path, "rb") as handle:
            catalog = read_po(handle, locale=locale)
        with open(path.with_suffix(".mo"), "wb") as handle:
            write_mo(handle, catalog)
        compiled += 1
    return compiled


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "extract":
        update()
    elif command == "compile":
        compile_all()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
