"""The inalterable ledger (registre): one append-only HMAC chain per company.

CGI art. 286-I-3° bis and BOI-TVA-DECLA-30-10-30: each issued invoice, credit note, payment,
closure and archive is sealed as a record holding the canonical JSON of its whole fiscal
content, the previous record's fingerprint and its own fingerprint, an HMAC-SHA256 keyed
outside the database. PostgreSQL refuses any UPDATE or DELETE of a record.
"""

import pgtrigger
from django.db import models
from django.utils.translation import gettext_lazy as _

from pgi.models import Company, User


class RecordKind(models.TextChoices):
    INVOICE = "facture", _("Facture émise")
    CREDIT_NOTE = "avoir", _("Avoir émis")
    DEPOSIT = "acompte", _("Facture d'acompte émise")
    PDF = "pdf", _("Empreinte du PDF")
    PAYMENT = "encaissement", _("Encaissement")
    PAYMENT_REVERSAL = "annulation", _("Annulation d'encaissement")
    CLOSURE = "cloture", _("Clôture")
    ARCHIVE = "archive", _("Archive")


class Registre(models.Model):
    """The head of a company's chain: locked by every append, so appends are serialised."""

    company = models.OneToOneField(Company, on_delete=models.PROTECT, primary_key=True)
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_fingerprint = models.CharField(max_length=100, default="")

    class Meta:
        verbose_name = _("registre inaltérable")

    def __str__(self) -> str:
        return f"{self.company_id}: {self.last_sequence}"


class Enregistrement(models.Model):
    """A sealed record; `payload` holds the exact bytes the fingerprint was computed on."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=12, choices=RecordKind)
    reference = models.CharField(max_length=80)
    recorded_at = models.DateTimeField()
    payload = models.BinaryField()
    previous = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("enregistrement du registre")
        ordering = ["company", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "sequence"], name="registre_sequence_unique"
            ),
        ]
        indexes = [models.Index(fields=["company", "kind", "reference"])]
        # TRUNCATE is not a trigger's business (the test runner flushes with it): in
        # production the application's role is granted no TRUNCATE, and a truncated chain
        # is caught by verification (head mismatch, documents without their record).
        triggers = [
            pgtrigger.Protect(
                name="enregistrement_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind} {self.reference}"


class ClotureKind(models.TextChoices):
    MONTHLY = "mensuelle", _("Clôture mensuelle")
    FISCAL_YEAR = "exercice", _("Clôture d'exercice")


class Cloture(models.Model):
    """A closed period (CGI art. 286-I-3° bis): its totals and perpetual grand total, sealed.

    `totals` is the document sealed in the ledger record `sequence` (kind "cloture"); the row
    repeats the record's sequence and fingerprint outside the chain, so that a chain truncated
    before a closure still disagrees with it. Never updated nor deleted (PostgreSQL triggers).
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("type"), max_length=10, choices=ClotureKind)
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    reference = models.CharField(_("référence"), max_length=80)
    closed_at = models.DateTimeField(_("clôturée le"))
    closed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("clôturée par"),
    )  # fmt: skip
    sequence = models.PositiveBigIntegerField(_("enregistrement scellé"))
    fingerprint = models.CharField(_("empreinte de l'enregistrement"), max_length=100)
    totals = models.JSONField(_("contenu scellé"))

    class Meta:
        verbose_name = _("clôture")
        ordering = ["company", "period_start", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "period_start"], name="cloture_period_unique"
            ),
            models.UniqueConstraint(fields=["company", "reference"], name="cloture_ref_unique"),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="cloture_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["company", "period_end"])]
        triggers = [
            # BOI-TVA-DECLA-30-10-30: a closure freezes its period; it is never undone.
            pgtrigger.Protect(
                name="cloture_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def label(self) -> str:
        return self.totals["period"]["label"]
