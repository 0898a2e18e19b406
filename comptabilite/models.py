"""Closures of the inalterable register's periods and their archives (the register itself is
the kernel's, `pgi.models.Registre` / `Enregistrement`)."""

from pathlib import Path

import pgtrigger
from django.db import models
from django.utils.translation import gettext_lazy as _

from pgi.models import Company, CompanyOwned, User


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


class PremierExercice(models.Model):
    """The company's first fiscal year, when it is not twelve months long: it starts on any
    first of a month and may run up to 24 months (C. com. L123-12 and its practice: a first
    fiscal year up to 23 or 24 months); it ends where the company's fiscal years start
    (`Company.fiscal_year_start_month`). The following ones are twelve months long."""

    company = models.OneToOneField(Company, on_delete=models.PROTECT, related_name="+")
    start = models.DateField(_("début du premier exercice"))
    end = models.DateField(_("fin du premier exercice"))

    class Meta:
        verbose_name = _("premier exercice")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__day=1) & models.Q(end__gt=models.F("start")),
                name="premier_exercice_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"


class Archive(CompanyOwned):
    """The signed archive of a closed period, built once and kept as it was sealed.

    `sequence` is the register record (kind "archive") that sealed the operation; `file` holds
    the very zip whose manifest that record seals, so that a download rebuilds nothing and
    writes nothing. Never updated nor deleted (PostgreSQL triggers).
    """

    cloture = models.ForeignKey(
        Cloture, on_delete=models.PROTECT, related_name="archives", verbose_name=_("clôture")
    )
    file = models.FileField(_("fichier"), upload_to="archives/%Y/%m/")
    sha256 = models.CharField(_("SHA-256 du fichier"), max_length=64)
    sequence = models.PositiveBigIntegerField(_("enregistrement scellé"))
    created_at = models.DateTimeField(_("créée le"))
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("créée par"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("archive")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["company", "sequence"], name="archive_record_unique"),
        ]
        triggers = [
            # BOI-TVA-DECLA-30-10-30: an archive is kept as produced.
            pgtrigger.Protect(
                name="archive_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def filename(self) -> str:
        return Path(self.file.name or "").name


# The books (journaux comptables VT and BQ), in their own package.
from comptabilite.livres.models import (  # noqa: E402
    CompteComptable,
    Ecriture,
    Journal,
    Lettrage,
    LigneEcriture,
)

__all__ = [
    "Archive", "Cloture", "ClotureKind", "CompteComptable", "Ecriture", "Journal", "Lettrage",
    "LigneEcriture", "PremierExercice",
]  # fmt: skip
