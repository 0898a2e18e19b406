from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EncaissementConfig(AppConfig):
    name = "encaissement"
    verbose_name = _("Encaissements")

    def ready(self) -> None:
        # Registrations with the layers below: the register's checks, the amount settled on
        # an invoice, the invoice's and the customer's payment sections, the e-invoicing platform's
        # status handlers (a dispute, a hold on dunning) and e-reporting's payments.
        from encaissement import integrity, panels, plateforme  # noqa: F401
        from encaissement.relances import panels as relances_panels  # noqa: F401
        from encaissement.relances import tasks  # noqa: F401
        from pgi.numbering import register_series

        # Payments and reversals share one gapless series: each is a sealed record.
        register_series(
            "encaissement", label=_("Encaissement"), default_pattern="ENC-{annee}-{numero:05d}"
        )
