from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacturationConfig(AppConfig):
    name = "facturation"
    verbose_name = _("Facturation")

    def ready(self) -> None:
        # Registrations with the layers below: the register's checks and document source,
        # the customer page's invoice section.
        from facturation import integrity, panels  # noqa: F401

        # Models can be imported only once the app registry is ready, hence here.
        from facturation.models import Facture, Kind
        from facturation.plateforme import panels as plateforme_panels  # noqa: F401
        from facturation.plateforme import tasks as plateforme_tasks  # noqa: F401
        from pgi.numbering import register_series

        # One gapless series per kind of document (CGI art. 242 nonies A).
        for kind, default_pattern in (
            (Kind.INVOICE, "F-{annee}-{numero:05d}"),
            (Kind.CREDIT_NOTE, "AV-{annee}-{numero:05d}"),
            (Kind.DEPOSIT, "AC-{annee}-{numero:05d}"),
        ):
            register_series(
                kind.value, label=kind.label, default_pattern=default_pattern,
                max_length=Facture._meta.get_field("number").max_length,
            )  # fmt: skip
