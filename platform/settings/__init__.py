"""Django settings, split by concern; every value comes from the environment or a default."""

import django_stubs_ext

from crm.platform.settings.api import *  # noqa: F403
from crm.platform.settings.base import *  # noqa: F403
from crm.platform.settings.cells import *  # noqa: F403
from crm.platform.settings.database import *  # noqa: F403
from crm.platform.settings.languages import *  # noqa: F403
from crm.platform.settings.tenancy import *  # noqa: F403
from crm.platform.settings.worker import *  # noqa: F403

# Lets model field classes be subscripted for django-stubs (CharField[str, str]) at run time.
django_stubs_ext.monkeypatch()
