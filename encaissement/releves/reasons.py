"""Why a statement line was matched to an invoice: the codes stored on a suggestion and
what the user reads."""

from django.utils.translation import gettext_lazy as _

REASON_NUMBER = "numero"
REASON_REFERENCE = "reference"
REASON_AMOUNT = "montant"
REASON_NAME = "nom"
REASON_IBAN = "iban"
REASONS = {
    REASON_NUMBER: _("numéro de facture dans le libellé"),
    REASON_REFERENCE: _("référence structurée"),
    REASON_AMOUNT: _("montant dû exact"),
    REASON_NAME: _("nom du client"),
    REASON_IBAN: _("IBAN déjà vu pour ce client"),
}
