from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevisConfig(AppConfig):
    name = "devis"
    verbose_name = _("Devis")

    def ready(self) -> None:
        # Registrations with the layers below: the invoice page's "Devis" section, the
        # register's checks of the acceptances.
        from devis import integrity, panels  # noqa: F401

        # Models can be imported only once the app registry is ready, hence here.
        from devis.models import Devis
        from pgi.numbering import register_series

        # One series per company and year, a number given when a quote is first sent.
        register_series(
            SERIES, label=_("Devis"), default_pattern="D-{annee}-{numero:04d}",
            # room for the version suffix (-v99)
            max_length=Devis._meta.get_field("number").max_length - 4,
        )  # fmt: skip


SERIES = "devis"
