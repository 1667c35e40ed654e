"""The one environment reader every settings module uses."""

import environ

env = environ.Env()
