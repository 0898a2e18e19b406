"""The inalterable ledger (registre): one append-only HMAC chain per company.

CGI art. 286-I-3° bis and BOI-TVA-DECLA-30-10-30: each issued invoice, credit note, payment,
closure and archive is sealed as a record holding the canonical JSON of its whole fiscal
content, the previous record's fingerprint and its own fingerprint, an HMAC-SHA256 keyed
outside the database. PostgreSQL refuses any UPDATE or DELETE of a record.
"""

import pgtrigger
from django.db import models
from django.utils.translation import gettext_lazy as _

from pgi.models import Company


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
