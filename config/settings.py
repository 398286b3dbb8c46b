"""Django settings for Kitabkhana; values come from config.env, never from os.environ directly."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.env import read_environment

ENV = read_environment()
BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = ENV.data_dir

SECRET_KEY = ENV.secret_key
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "kitabkhana.core",
    "kitabkhana.accounts",
    "kitabkhana.tasks",
    "kitabkhana.catalogue",
    "kitabkhana.union",
    "kitabkhana.deposit",
    "kitabkhana.digitization",
    "kitabkhana.harvest",
    "kitabkhana.oai",
    "kitabkhana.sru",
    "kitabkhana.opac",
    "kitabkhana.api",
    "kitabkhana.iiif",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kitabkhana" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url: str | None) -> dict:
    if url:
        return dj_database_url.parse(url, conn_max_age=60)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "kitabkhana.sqlite3",
        # WAL lets the OPAC read while an import writes; IMMEDIATE avoids "database is locked" upgrades.
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
            "transaction_mode": "IMMEDIATE",
        },
    }


DATABASES = {"default": _database(ENV.database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fa", _("Persian"))]
LOCALE_PATHS = [BASE_DIR / "kitabkhana" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": DATA_DIR / "files"}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# The page viewer (OpenSeadragon) comes from npm (package.json; `make install` runs `npm ci`). Without it the
# record page offers plain image links, so the directory is only added when it has been installed.
_OPENSEADRAGON = BASE_DIR / "node_modules" / "openseadragon" / "build" / "openseadragon"
STATICFILES_DIRS = [("vendor/openseadragon", _OPENSEADRAGON)] if _OPENSEADRAGON.is_dir() else []
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "opac:home"

KITABKHANA = {
    "DATA_DIR": DATA_DIR,
    "SEARCH_BACKEND": ENV.search_backend,
    "SEARCH_INDEX_DIR": DATA_DIR / "index",
    "TASK_BACKEND": ENV.task_backend,
    "REDIS_URL": ENV.redis_url,
    "IMPORT_BATCH_SIZE": 1000,
    "DEFAULT_INSTITUTION": "NL",
    # OAI-PMH provider (docs/oai-pmh.md). Set the repository identifier in production so that OAI
    # identifiers do not change with the host name the site is reached by.
    "OAI_REPOSITORY_IDENTIFIER": ENV.oai_repository_identifier,
    "OAI_ADMIN_EMAIL": ENV.admin_email,
    "OAI_PAGE_SIZE": 200,
    "OAI_TOKEN_LIFETIME": 86400,
    # Match every arriving record against the union catalogue (docs/union-catalogue.md).
    "UNION_MATCHING": ENV.union_matching,
    # Pre-publication cataloguing and legal deposit (docs/deposit.md).
    "TRUSTED_PROXY": ENV.trusted_proxy,
    # Addresses of the reading rooms (on-site access to deposited files and digitized books).
    "READING_ROOM_NETWORKS": list(ENV.reading_room_networks),
    "NBN_PREFIX": "NB",
    "CIP_FRONT_MATTER_MAX_BYTES": 10 * 1024 * 1024,
    # Pages per PDF download of a digitized item (docs/iiif.md).
    "IIIF_DOWNLOAD_MAX_PAGES": 200,
}

# Mail (legal-deposit claims): SMTP when a host is configured; otherwise each message is written to a file
# under the data directory, so the embedded default needs no mail server and nothing is lost.
DEFAULT_FROM_EMAIL = ENV.mail_from
if ENV.smtp_host:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = ENV.smtp_host
    EMAIL_PORT = ENV.smtp_port
    EMAIL_HOST_USER = ENV.smtp_user
    EMAIL_HOST_PASSWORD = ENV.smtp_password
    EMAIL_USE_TLS = ENV.smtp_tls
    EMAIL_TIMEOUT = 30
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"kitabkhana": {"level": "INFO"}},
}
