from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TableauxConfig(AppConfig):
    """The dashboards (issue #19): receivables, sales, VAT and dunning, the accountant's
    portfolio. An app of its own inside `comptabilite` for its one table (`ResteDu`) and its
    migrations, which never meet the books' ones."""

    name = "comptabilite.tableaux"
    label = "tableaux"
    verbose_name = _("Tableaux de bord")
