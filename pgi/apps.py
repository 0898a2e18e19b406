from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PgiConfig(AppConfig):
    name = "pgi"
    verbose_name = _("Noyau")

    def ready(self) -> None:
        from pgi import signals  # noqa: F401  (audit log of logins)
