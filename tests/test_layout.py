"""The layout's two traps stay closed: `platform` and `graphql` are the real libraries."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_namespace_folders_have_no_init_file() -> None:
    assert not (ROOT / "platform" / "__init__.py").exists()
    assert not (ROOT / "graphql" / "__init__.py").exists()


def test_platform_and_graphql_resolve_to_the_libraries_from_the_repository_root() -> None:
    probe = (
        "import platform, graphql, sysconfig;"
        "print(platform.system());"
        "print(platform.__file__.startswith(sysconfig.get_paths()['stdlib']));"
        "print(graphql.__file__.startswith(sysconfig.get_paths()['purelib']));"
        "import django; django.setup(); import crm.graphql.schema;"
        "print('crm-ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "crm.tests.settings", "PATH": ""},
    )
    system, platform_is_stdlib, graphql_is_library, crm_ok = result.stdout.split()
    assert system == "Linux"
    assert platform_is_stdlib == "True"
    assert graphql_is_library == "True"
    assert crm_ok == "crm-ok"
