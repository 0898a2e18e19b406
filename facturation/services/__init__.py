"""Writes on invoicing, one module per concern; everything public is importable from here."""

from facturation.services.credit_notes import avoir_creer
from facturation.services.delivery import (
    envoi_expedier,
    facture_envoyer,
    facture_pdf_generer,
    lien_client_renouveler,
)
from facturation.services.deposits import (
    acompte_creer,
    acomptes_a_deduire,
    facture_deduire_acomptes,
)
from facturation.services.drafts import (
    DRAFT_FIELDS,
    LINE_FIELDS,
    article_enregistrer,
    facture_brouillon_enregistrer,
    facture_creer,
    facture_dupliquer,
    facture_lignes_enregistrer,
    facture_modifier,
    facture_supprimer,
    frozen_message,
    issued_message,
)
from facturation.services.issue import facture_emettre

__all__ = [
    "DRAFT_FIELDS", "LINE_FIELDS", "acompte_creer", "acomptes_a_deduire", "article_enregistrer",
    "avoir_creer", "envoi_expedier", "facture_brouillon_enregistrer", "facture_creer",
    "facture_deduire_acomptes", "facture_dupliquer", "facture_emettre", "facture_envoyer",
    "facture_lignes_enregistrer", "facture_modifier", "facture_pdf_generer",
    "facture_supprimer", "frozen_message", "issued_message", "lien_client_renouveler",
]  # fmt: skip
