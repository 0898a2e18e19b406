"""Bank accounts, imported statements, their lines and the matching suggestions (issue #16).

A statement line is what the bank says happened; it is never edited after import (its amount,
dates and label stay as the bank sent them): only its reconciliation state moves, from
"à rapprocher" to "rapprochée" (linked to the payment recorded from it) or "écartée"
(bank fees, transfers between own accounts...). A line is imported once per account: its
`unique_key` (the bank's id for it, or a hash of what identifies it) is unique per account,
so importing the same file twice, or two overlapping statements, never duplicates it.
"""

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import Client
from encaissement.models import Paiement
from encaissement.releves.reasons import REASONS
from facturation.models import Facture
from pgi.identifiers import validate_bic, validate_iban
from pgi.models import Company, CompanyOwned, User


class Format(models.TextChoices):
    CSV = "csv", _("CSV")
    OFX = "ofx", _("OFX")
    CAMT053 = "camt053", _("CAMT.053 (ISO 20022)")
    CFONB120 = "cfonb120", _("CFONB 120")


class CompteBancaire(CompanyOwned):
    """One of the company's bank accounts; its CSV column mapping is remembered here."""

    name = models.CharField(_("nom du compte"), max_length=100)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    csv_mapping = models.JSONField(_("correspondance des colonnes CSV"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("compte bancaire")
        verbose_name_plural = _("comptes bancaires")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["company", "iban"], name="compte_bancaire_iban_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.iban[:4]}…{self.iban[-4:]})"

    def get_absolute_url(self) -> str:
        return reverse("encaissement:releves:ligne_list") + f"?compte={self.pk}"


class ReglagesRapprochement(models.Model):
    """The company's matching settings: chosen by the owner (Perm.SETTINGS_MANAGE)."""

    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, related_name="reglages_rapprochement"
    )
    auto_confirm = models.BooleanField(
        _("confirmer automatiquement les correspondances exactes"),
        default=False,
        help_text=_(
            "Une ligne créditrice qui correspond exactement à une seule facture (numéro ou "
            "référence, client et montant dû) est encaissée dès l'import."
        ),
    )

    class Meta:
        verbose_name = _("réglages du rapprochement")

    def __str__(self) -> str:
        return str(_("Réglages du rapprochement"))


class Releve(CompanyOwned):
    """One imported file (or one file waiting in preview): kept as received, for proof."""

    class State(models.TextChoices):
        PREVIEW = "apercu", _("En aperçu")
        IMPORTED = "importe", _("Importé")

    compte = models.ForeignKey(
        CompteBancaire, on_delete=models.PROTECT, related_name="releves", null=True, blank=True,
        verbose_name=_("compte"),
    )  # fmt: skip
    format = models.CharField(_("format"), max_length=10, choices=Format)
    filename = models.CharField(_("fichier"), max_length=255)
    content = models.BinaryField(_("contenu"))
    sha256 = models.CharField(max_length=64)
    state = models.CharField(_("état"), max_length=8, choices=State, default=State.PREVIEW)
    imported = models.PositiveIntegerField(_("lignes importées"), default=0)
    duplicates = models.PositiveIntegerField(_("doublons"), default=0)
    matched = models.PositiveIntegerField(_("rapprochées automatiquement"), default=0)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("relevé bancaire")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.filename


class LigneReleve(CompanyOwned):
    """One movement on a bank account, as the bank reported it."""

    class Status(models.TextChoices):
        OPEN = "a_rapprocher", _("À rapprocher")
        MATCHED = "rapprochee", _("Rapprochée")
        DISMISSED = "ecartee", _("Écartée")

    compte = models.ForeignKey(CompteBancaire, on_delete=models.PROTECT, related_name="lignes")
    releve = models.ForeignKey(Releve, on_delete=models.PROTECT, related_name="lignes")
    unique_key = models.CharField(max_length=100)
    booking_date = models.DateField(_("date d'opération"))
    value_date = models.DateField(_("date de valeur"), null=True, blank=True)
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    label = models.CharField(_("libellé"), max_length=500)
    reference = models.CharField(_("référence"), max_length=140, blank=True)
    counterparty = models.CharField(_("contrepartie"), max_length=140, blank=True)
    counterparty_iban = models.CharField(_("IBAN de la contrepartie"), max_length=34, blank=True)
    status = models.CharField(_("état"), max_length=12, choices=Status, default=Status.OPEN)
    paiement = models.OneToOneField(
        Paiement, on_delete=models.PROTECT, null=True, blank=True, related_name="ligne_releve",
        verbose_name=_("encaissement"),
    )  # fmt: skip
    dismiss_reason = models.CharField(_("motif"), max_length=200, blank=True)
    handled_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ligne de relevé")
        ordering = ["-booking_date", "-pk"]
        indexes = [models.Index(fields=["company", "status", "booking_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["compte", "unique_key"], name="ligne_releve_unique_per_account"
            ),
            models.CheckConstraint(
                condition=Q(status="rapprochee", paiement__isnull=False)
                | (~Q(status="rapprochee") & Q(paiement__isnull=True)),
                name="ligne_releve_matched_has_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_date:%d/%m/%Y} {self.label} {self.amount}"

    @property
    def is_credit(self) -> bool:
        return self.amount > 0


class Suggestion(CompanyOwned):
    """A ranked guess: this credit line pays that invoice (computed by `matching`)."""

    ligne = models.ForeignKey(LigneReleve, on_delete=models.CASCADE, related_name="suggestions")
    facture = models.ForeignKey(Facture, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    amount = models.DecimalField(_("montant à affecter"), max_digits=14, decimal_places=2)
    score = models.PositiveSmallIntegerField(default=0)
    reasons = models.JSONField(default=list)
    exact = models.BooleanField(default=False)
    # One transfer paying several invoices of the customer at once: the others, after
    # `facture` (their pks); `amount` is then the whole line, allocated to each in turn.
    autres_factures = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ligne", "facture"], name="suggestion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.ligne_id} → {self.facture_id} ({self.score})"

    @property
    def factures(self) -> list[Facture]:
        """The invoice and, for a transfer paying several, the others, in order."""
        if not self.autres_factures:
            return [self.facture]
        others = {f.pk: f for f in Facture.objects.filter(pk__in=self.autres_factures)}
        return [self.facture] + [others[pk] for pk in self.autres_factures if pk in others]

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASONS[r]) for r in self.reasons if r in REASONS]
