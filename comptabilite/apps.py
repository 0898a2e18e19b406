from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComptabiliteConfig(AppConfig):
    name = "comptabilite"
    verbose_name = _("Comptabilité")

    def ready(self) -> None:
        # The register checks, and the posting rules the register calls when it seals.
        from comptabilite import integrity  # noqa: F401
        from comptabilite.livres import posting  # noqa: F401
        from comptabilite.livres.tva import tva_due_par_taux
        from comptabilite.tableaux.registry import TVA_DUE, register_tva_due

        # The dashboards' VAT tab and the portfolio show the VAT due read from the entries.
        if tva_due_par_taux not in TVA_DUE:
            register_tva_due(tva_due_par_taux)
