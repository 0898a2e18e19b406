from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")

    def ready(self) -> None:
        # The sales dashboard's weighted pipeline (pgi.panels.dashboard_panels, issue #19).
        from crm import tableau  # noqa: F401
