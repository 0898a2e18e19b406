"""The "Devis" section of an invoice's page (registered with `facturation.panels`): the quote
an invoice was made from, so the link reads both ways."""

from devis.models import DevisFacture
from facturation.models import Facture
from facturation.panels import FacturePanel, register_facture_panel


def _devis(request, facture: Facture) -> dict:
    lien = DevisFacture.objects.filter(facture=facture).select_related("devis").first()
    return {"lien": lien}


register_facture_panel(FacturePanel(template="devis/_facture_devis.html", context=_devis))
