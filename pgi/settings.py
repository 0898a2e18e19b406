"""Encaisse settings, read from the environment with safe development defaults.

Production is `DJANGO_ENV=production`: then `SECRET_KEY`, `ALLOWED_HOSTS` and
`REGISTRE_HMAC_KEY` must come from the environment, and `manage.py check --deploy` is clean.
"""

import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def _development_secret(path: Path) -> str:
    """A per-checkout secret, generated once into an ignored file; never used in production."""
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


ENVIRONMENT = env("DJANGO_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"
# pytest-django imports these settings before any conftest can set the environment.
TESTING = ENVIRONMENT == "test" or "pytest" in sys.modules

if PRODUCTION:
    SECRET_KEY = os.environ["SECRET_KEY"]
else:
    SECRET_KEY = env("SECRET_KEY") or _development_secret(BASE_DIR / ".secret_key")

# The HMAC key of the inalterable register and of the event log never lives in the database
# (CGI art. 286-I-3° bis: an alteration must be detectable even by someone who can write to the
# database). LEDGER_HMAC_KEY and .ledger_key are its names before 2026-11: still read, so that a
# chain sealed then still verifies.
if PRODUCTION:
    REGISTRE_HMAC_KEY = env("REGISTRE_HMAC_KEY") or env("LEDGER_HMAC_KEY")
    if not REGISTRE_HMAC_KEY:
        raise KeyError("REGISTRE_HMAC_KEY must be set in production")
else:
    _legacy_key = BASE_DIR / ".ledger_key"
    REGISTRE_HMAC_KEY = (
        env("REGISTRE_HMAC_KEY")
        or env("LEDGER_HMAC_KEY")
        or _development_secret(_legacy_key if _legacy_key.exists() else BASE_DIR / ".registre_key")
    )

# The key(s) that encrypt the secrets of outside services stored in the database (a company's
# Stripe secret key and webhook secret, its e-invoicing platform's API key and webhook secret;
# pgi.secrets): never in the database itself. Comma-separated: the first encrypts, all
# decrypt (rotation).
if PRODUCTION:
    PAYMENT_SECRETS_KEYS = env_list("PAYMENT_SECRETS_KEYS")
    if not PAYMENT_SECRETS_KEYS:
        raise KeyError("PAYMENT_SECRETS_KEYS must be set in production")
else:
    PAYMENT_SECRETS_KEYS = env_list("PAYMENT_SECRETS_KEYS") or [
        _development_secret(BASE_DIR / ".payment_secrets_key")
    ]
# The e-invoicing platform's API key and webhook secret, for a deployment that keeps them in the
# environment rather than encrypted in the database (one company per instance): used when the
# company's connection stores none (facturation.plateforme.client).
EINVOICING_API_KEY = env("EINVOICING_API_KEY", "")
EINVOICING_WEBHOOK_SECRET = env("EINVOICING_WEBHOOK_SECRET", "")
# Where the `stripe` library sends its requests: Stripe itself, or a fake on loopback for
# tests and demos (tests/fakes/stripe_checkout.py).
STRIPE_API_BASE = env("STRIPE_API_BASE", "https://api.stripe.com")

# The public company directory and the BODACC's announcements (crm/directory.py): no key;
# tests and the demo point them at the fake of tests/fakes/annuaire.py.
DIRECTORY_SEARCH_URL = env("DIRECTORY_SEARCH_URL", "https://recherche-entreprises.api.gouv.fr")
DIRECTORY_BODACC_URL = env("DIRECTORY_BODACC_URL", "https://bodacc-datadila.opendatasoft.com")
DIRECTORY_TIMEOUT = float(env("DIRECTORY_TIMEOUT", "4"))  # seconds
DIRECTORY_CACHE_SECONDS = int(env("DIRECTORY_CACHE_SECONDS", str(24 * 3600)))
# A quote above this amount (excl. VAT, euros) is checked again before it is sent.
DIRECTORY_CHECK_ABOVE = env("DIRECTORY_CHECK_ABOVE", "5000")
# How long a customer's portal link works (crm/portail.py).
PORTAL_LINK_DAYS = int(env("PORTAL_LINK_DAYS", "30"))
# Where "pay by card" sends the customer (the hosted checkout): allowed as a form's target.
STRIPE_CHECKOUT_ORIGIN = env("STRIPE_CHECKOUT_ORIGIN", "https://checkout.stripe.com")

DEBUG = env_bool("DEBUG", not PRODUCTION and not TESTING)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "pgtrigger",
    "pgi",
    "crm",
    "facturation",
    "encaissement",
    "devis",  # after the invoices: its numbering series is listed after theirs
    "comptabilite",
    "comptabilite.tableaux",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "pgi.middleware.CleanQueryStringMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pgi.tenancy.CurrentCompanyMiddleware",
]

if PRODUCTION:
    # Static files are served by WhiteNoise from STATIC_ROOT (collectstatic) in production.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "pgi.urls"
WSGI_APPLICATION = "pgi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pgi.tenancy.company_context",
            ],
        },
    },
]

# The application's role, which reads and writes rows only; the owner of the tables migrates
# with its own DATABASE_URL and is never known here (pgi/db_roles.py).
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgres://encaisse_app@127.0.0.1:5432/encaisse"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
    )
}
# No JIT: the app's queries are short, and PostgreSQL's JIT compiled the dashboard's
# receivables aggregate for 2.4 s of its 3.7 s at 100,000 invoices (bench/receivables.py).
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "encaisse",
    }
}
if TESTING:
    # Tests use the real Redis, in a key space of their own per pytest-xdist worker.
    CACHES["default"]["KEY_PREFIX"] = "encaisse-test-" + env("PYTEST_XDIST_WORKER", "main")
SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "pgi.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing cost is not what the tests are about.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Login and password-reset throttling, counted in Redis (pgi.throttling): failures per
# address in a window; per account from an address, growing waits after a few failures.
LOGIN_RATE_PER_IP = env("LOGIN_RATE_PER_IP", "20/10m")
LOGIN_FAILURES_BEFORE_DELAY = int(env("LOGIN_FAILURES_BEFORE_DELAY", "3"))
LOGIN_DELAY_MAX = int(env("LOGIN_DELAY_MAX", "900"))  # seconds
LOGIN_FAILURES_MEMORY = int(env("LOGIN_FAILURES_MEMORY", "3600"))  # seconds after the wait
PASSWORD_RESET_RATE_PER_IP = env("PASSWORD_RESET_RATE_PER_IP", "10/h")
PASSWORD_RESET_RATE_PER_EMAIL = env("PASSWORD_RESET_RATE_PER_EMAIL", "3/h")
RATELIMIT_VIEW = "pgi.views.auth.ratelimited"
# Checkouts a customer's page may open per address (each one is a request to Stripe).
CHECKOUT_RATE_PER_IP = env("CHECKOUT_RATE_PER_IP", "20/10m")
# Sign-up attempts per address, and confirmation links asked again per account.
SIGNUP_RATE_PER_IP = env("SIGNUP_RATE_PER_IP", "10/h")
EMAIL_VERIFICATION_RATE = env("EMAIL_VERIFICATION_RATE", "3/h")

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

if PRODUCTION or env("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env("EMAIL_HOST", "localhost"),
                "port": int(env("EMAIL_PORT", "587")),
                "username": env("EMAIL_HOST_USER"),
                "password": env("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
            },
        }
    }
else:
    # Development: emails are printed by the web server and the worker.
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Encaisse <no-reply@encaisse.localhost>")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged when it has run, not when it is received: a worker killed mid-task
# leaves it to another (tasks are idempotent). One at a time per worker process.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A broker that does not answer is given up within a second: the action has committed and the
# sweeper publishes its work later (pgi.queue).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2}
CELERY_BEAT_SCHEDULE = {
    "sweep-pending-work": {
        "task": "facturation.tasks.sweep_pending",
        "schedule": 300.0,
    },
    "recurring-invoices-daily": {
        "task": "facturation.tasks.generate_recurring_invoices",
        "schedule": crontab(hour=6, minute=0),
    },
    "dunning-daily": {
        "task": "encaissement.relances.tasks.run_dunning",
        "schedule": crontab(hour=7, minute=0),
    },
    "sweep-relances": {
        "task": "encaissement.relances.tasks.sweep_relances",
        "schedule": 300.0,
    },
    "crm-sweep-portal-links": {
        "task": "crm.tasks.sweep_portal_links",
        "schedule": 300.0,
    },
    "crm-task-reminders": {
        # Hourly from 8:00: a run that failed to send (SMTP down) is tried again later.
        "task": "crm.tasks.remind_tasks_due_today",
        "schedule": crontab(hour="8-18", minute=0),
    },
    "sweep-online-payments": {
        "task": "encaissement.tasks.sweep_online_sessions",
        "schedule": 900.0,
    },
    "sweep-notifications": {
        "task": "pgi.tasks.sweep_notifications",
        "schedule": 300.0,
    },
    "quotes-expiry-daily": {  # expired quotes, and reminders a few days before
        "task": "devis.tasks.expire_quotes",
        "schedule": crontab(hour=6, minute=30),
    },
    "sweep-devis-emails": {
        "task": "devis.tasks.sweep_devis_emails",
        "schedule": 300.0,
    },
    # E-invoicing platform: flows the messenger lost, received invoices and statuses polled.
    "sweep-plateforme": {
        "task": "facturation.plateforme.tasks.sweep_plateforme",
        "schedule": 300.0,
    },
    "ereporting-daily": {
        "task": "facturation.plateforme.tasks.transmit_ereporting",
        "schedule": crontab(hour=5, minute=30),
    },
    "verify-registres-nightly": {
        "task": "comptabilite.tasks.verify_all_registres",
        "schedule": crontab(hour=3, minute=15),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = env(
    "CELERY_BEAT_SCHEDULE_FILENAME", str(BASE_DIR / ".run" / "celerybeat-schedule")
)

# Content Security Policy (Django 6): only our own static files, no inline script.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    # The customer's "pay" button is a form whose answer redirects to the hosted checkout:
    # browsers apply form-action to that redirection too.
    "form-action": [CSP.SELF, STRIPE_CHECKOUT_ORIGIN],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # Third-party progress chatter (one line per rendering step) stays out of the logs.
    "loggers": {
        name: {"level": "WARNING"}
        for name in ("weasyprint", "weasyprint.progress", "fontTools", "factur-x", "facturx")
    },
}
