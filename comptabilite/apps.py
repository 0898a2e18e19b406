from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComptabiliteConfig(AppConfig):
    name = "comptabilite"
    verbose_name = _("Comptabilité")

    def ready(self) -> None:
        from comptabilite import integrity  # noqa: F401  (registers the register checks)
