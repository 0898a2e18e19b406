from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacturationConfig(AppConfig):
    name = "facturation"
    verbose_name = _("Facturation")

    def ready(self) -> None:
        # Registrations with the layers below: the register's checks and document source,
        # the customer page's invoice section.
        from facturation import integrity, panels  # noqa: F401
