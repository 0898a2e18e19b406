from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevisConfig(AppConfig):
    name = "devis"
    verbose_name = _("Devis")

    def ready(self) -> None:
        # Registrations with the layers below: the invoice page's "Devis" section, the
        # register's checks of the acceptances, what issuing or deleting an invoice of a
        # quote does to it.
        from devis import integrity, panels, services  # noqa: F401
        from facturation.hooks import register_draft_deleted_handler, register_issued_handler

        register_issued_handler(services.facture_du_devis_emise)
        register_draft_deleted_handler(services.facture_du_devis_supprimee)

        # Models can be imported only once the app registry is ready, hence here.
        from devis.models import Devis
        from devis.selectors import numeros_donnes
        from pgi.numbering import register_series

        # One series per company and year, a number given when a quote is first sent; a new
        # format is checked against the numbers given (quotes are not sealed under it).
        register_series(
            SERIES, label=_("Devis"), default_pattern="D-{annee}-{numero:04d}",
            # room for the version suffix (-v99)
            max_length=Devis._meta.get_field("number").max_length - 4,
            issued=numeros_donnes,
        )  # fmt: skip


SERIES = "devis"
