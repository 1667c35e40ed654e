"""Core Django settings: apps, middleware, security, the cell this process serves."""

from pathlib import Path

from crm.platform.settings.env import env

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-development-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", ".localhost", "127.0.0.1"])

# The region (cell) this process serves. A business unit homed elsewhere is refused.
REGION = env.str("REGION", default="cn")

SHARED_APPS = [
    "django_tenants",
    "crm.platform.core",
    "crm.regions",
    "crm.tenants",
    "crm.platform.accounts",
    "crm.platform.permissions",
    "modeltranslation",
    "django.contrib.postgres",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "graphene_django",
    "pgtrigger",
    "pghistory",
    "djmoney",
    "crm.masterdata",
    "crm.masterdata.customers",
    "crm.masterdata.governance",
    "crm.masterdata.transfer",
    "crm.masterdata.sales",
    "crm.replication",
    "crm.regions.privacy",
]
TENANT_APPS = [
    "crm.tenants.pricebook",
    "crm.tenants.localcustomers",
    "crm.tenants.leads",
    "crm.tenants.contacts",
    "crm.tenants.opportunities",
    "crm.tenants.automation",
    "crm.tenants.customfields",
    "crm.tenants.personaldata",
    "crm.tenants.quotes",
    "crm.tenants.contracts",
    "crm.tenants.ledger",
    "crm.tenants.creditcontrol",
    "crm.tenants.insights",
    "crm.tenants.performance",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

MIDDLEWARE = [
    "crm.platform.web.middleware.BusinessUnitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.platform.web.middleware.AccessMiddleware",
    "crm.platform.web.middleware.RequestLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "crm.platform.web.urls"
WSGI_APPLICATION = "crm.platform.web.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

STATIC_URL = "/static/"
USE_TZ = True
TIME_ZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
