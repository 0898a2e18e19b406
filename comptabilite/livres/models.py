"""Entries of the journaux comptables (VT, BQ), the account mapping and lettrage.

An entry (`Ecriture`) is written in the very transaction that seals its source record in the
register (ARCHITECTURE.md, "One seal, one entry"), numbered in sequence per journal and
validated at once: never updated nor deleted (triggers); a correction is a new entry. Its
balance is checked by PostgreSQL at commit (a deferred constraint trigger of migration
0007_livres, which no session setting can skip), not only here.
"""

import pgtrigger
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from facturation.models import Facture
from pgi.models import Company, CompanyOwned


class Journal(models.TextChoices):
    SALES = "VT", _("Ventes")
    BANK = "BQ", _("Banque")
    MISC = "OD", _("Opérations diverses")


class Role(models.TextChoices):
    """What a line stands for, whatever account number the company maps it to."""

    CUSTOMER = "client", _("Client")
    SALES = "vente", _("Vente")
    DEPOSIT = "acompte", _("Acompte reçu")
    VAT = "tva", _("TVA collectée")
    VAT_PENDING = "tva_attente", _("TVA collectée à encaisser")
    BANK = "banque", _("Banque")


class CompteComptable(CompanyOwned):
    """The company's own number and label for one account key (`comptabilite.livres.comptes`);
    keys without a row take the French chart of accounts' default."""

    key = models.CharField(_("clé"), max_length=40)
    number = models.CharField(
        _("numéro de compte"), max_length=20,
        help_text=_("Commence par les trois chiffres du plan comptable général."),
    )  # fmt: skip
    label = models.CharField(_("intitulé"), max_length=100)

    class Meta:
        verbose_name = _("compte comptable")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["company", "key"], name="compte_key_unique"),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[1-8][0-9]{2}[0-9A-Z]*$"), name="compte_number_pcg"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.label}"


class Ecriture(CompanyOwned):
    """A validated entry of one journal, from one sealed record (`record_kind`, `reference`)."""

    # Indexes kept few: each costs every issue (bench/README.md). The company's own index is
    # the one of (company, journal, number).
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+",
                                db_index=False)  # fmt: skip
    journal = models.CharField(_("journal"), max_length=2, choices=Journal)
    number = models.PositiveIntegerField(_("numéro"))
    date = models.DateField(_("date"))
    piece_ref = models.CharField(_("pièce"), max_length=40)
    piece_date = models.DateField(_("date de la pièce"))
    label = models.CharField(_("libellé"), max_length=200)
    record_kind = models.CharField(_("type d'enregistrement"), max_length=20)
    # The sealed record posted; none for a move between invoices (`pgi.registre.post`).
    sequence = models.PositiveBigIntegerField(_("enregistrement scellé"), null=True)
    vat_case = models.CharField(_("régime de TVA"), max_length=20, blank=True)
    validated_on = models.DateField(_("validée le"))

    class Meta:
        verbose_name = _("écriture")
        ordering = ["validated_on", "journal", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "journal", "number"], name="ecriture_number_unique"
            ),
            # One seal, one entry: a record is posted once, so posting again is a no-op.
            models.UniqueConstraint(fields=["company", "sequence"], name="ecriture_record_unique"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="ecriture_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.journal}{self.number:06d}"

    @property
    def code(self) -> str:
        return str(self)


class LigneEcriture(CompanyOwned):
    """A line of an entry. The account's number and label are frozen with it (the FEC prints
    them as posted); `facture` is the invoice whose settlement this customer line counts in
    (lettrage); `rate` and `base` tell the VAT a line carries or the sale it books."""

    # No index of their own: (company, account, aux) leads with the company, the unique
    # (ecriture, position) with the entry.
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+",
                                db_index=False)  # fmt: skip
    ecriture = models.ForeignKey(
        Ecriture, on_delete=models.PROTECT, related_name="lignes", db_index=False
    )
    position = models.PositiveSmallIntegerField()
    role = models.CharField(_("rôle"), max_length=12, choices=Role)
    key = models.CharField(_("clé du compte"), max_length=40)  # comptabilite.livres.comptes
    account = models.CharField(_("compte"), max_length=20)
    account_label = models.CharField(_("intitulé du compte"), max_length=100)
    aux = models.CharField(_("compte auxiliaire"), max_length=20, blank=True)
    aux_label = models.CharField(_("intitulé auxiliaire"), max_length=200, blank=True)
    label = models.CharField(_("libellé"), max_length=200)
    debit = models.DecimalField(_("débit"), max_digits=14, decimal_places=2, default=0)
    credit = models.DecimalField(_("crédit"), max_digits=14, decimal_places=2, default=0)
    rate = models.DecimalField(_("taux de TVA"), max_digits=5, decimal_places=2, null=True)
    base = models.DecimalField(_("base HT"), max_digits=14, decimal_places=2, null=True, blank=True)
    facture = models.ForeignKey(
        Facture, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("ligne d'écriture")
        ordering = ["ecriture", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ecriture", "position"], name="ligne_position_unique"),
            models.CheckConstraint(
                condition=Q(debit__gte=0, credit__gte=0)
                & ((Q(debit=0) & Q(credit__gt=0)) | (Q(credit=0) & Q(debit__gt=0))),
                name="ligne_debit_xor_credit",
            ),
        ]
        indexes = [models.Index(fields=["company", "account", "aux"])]
        triggers = [
            pgtrigger.Protect(
                name="ligne_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.debit or -self.credit}"


class Lettrage(CompanyOwned):
    """An invoice fully settled: its customer lines and those of the payments and credit notes
    that settle it share `letter`, from `date` on. Removed if a reversal unsettles it (the
    entries themselves never change)."""

    facture = models.OneToOneField(Facture, on_delete=models.PROTECT, related_name="+")
    index = models.PositiveIntegerField()
    letter = models.CharField(_("lettre"), max_length=8)
    date = models.DateField(_("date de lettrage"))

    class Meta:
        verbose_name = _("lettrage")
        constraints = [
            models.UniqueConstraint(fields=["company", "index"], name="lettrage_index_unique"),
        ]

    def __str__(self) -> str:
        return self.letter
