"""Closures of the inalterable register's periods (the register itself is the kernel's,
`pgi.models.Registre` / `Enregistrement`)."""

import pgtrigger
from django.db import models
from django.utils.translation import gettext_lazy as _

from pgi.models import Company, User


class ClotureKind(models.TextChoices):
    MONTHLY = "mensuelle", _("Clôture mensuelle")
    FISCAL_YEAR = "exercice", _("Clôture d'exercice")


class Cloture(models.Model):
    """A closed period (CGI art. 286-I-3° bis): its totals and perpetual grand total, sealed.

    `totals` is the document sealed in the register record `sequence` (kind "cloture"); the row
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
