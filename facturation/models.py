"""Catalogue, invoices, credit notes and their lines.

An invoice is a draft until `facture_emettre` gives it a number; from then on PostgreSQL
triggers refuse any UPDATE or DELETE of the invoice and of its lines (CGI art. 242 nonies A:
an issued invoice is only ever corrected by a credit note).
"""

from decimal import Decimal

import pgtrigger
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import Client
from pgi.lignes import ChampsArticle, LigneDocument
from pgi.models import CompanyOwned, User


class Article(CompanyOwned, ChampsArticle):
    """A catalogue item: what the company sells, at which price and VAT rate; its columns are
    those a document line takes from it (`pgi.lignes.ChampsArticle`)."""

    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("article")
        ordering = ["designation", "pk"]
        indexes = [models.Index(fields=["company", "active", "designation"])]

    def __str__(self) -> str:
        return self.designation


class Kind(models.TextChoices):
    INVOICE = "facture", _("Facture")
    CREDIT_NOTE = "avoir", _("Avoir")
    DEPOSIT = "acompte", _("Facture d'acompte")


class Status(models.TextChoices):
    DRAFT = "brouillon", _("Brouillon")
    ISSUED = "emise", _("Émise")


ISSUED_IS_SEALED_SQL = """
IF NEW.status = 'emise' AND (TG_OP = 'INSERT' OR OLD.status <> 'emise') AND NOT EXISTS (
    SELECT 1 FROM comptabilite_enregistrement e
    WHERE e.company_id = NEW.company_id AND e.kind = NEW.kind AND e.reference = NEW.number
) THEN
    RAISE EXCEPTION 'facturation: % is issued without its sealed record', NEW.number
        USING ERRCODE = 'restrict_violation';
END IF;
RETURN NULL;
"""


class Facture(CompanyOwned):
    """An invoice, deposit invoice or credit note; frozen once issued."""

    kind = models.CharField(_("type"), max_length=8, choices=Kind, default=Kind.INVOICE)
    status = models.CharField(_("statut"), max_length=10, choices=Status, default=Status.DRAFT)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="factures", verbose_name=_("client")
    )
    number = models.CharField(_("numéro"), max_length=40, blank=True)
    issue_date = models.DateField(_("date d'émission"), null=True, blank=True)
    operation_date = models.DateField(
        _("date de la vente ou de la prestation"), null=True, blank=True,
        help_text=_("Si elle diffère de la date d'émission."),
    )  # fmt: skip
    due_date = models.DateField(_("date d'échéance"), null=True, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("délai de paiement (jours)"), null=True, blank=True
    )
    origin = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes",
        verbose_name=_("facture d'origine"),
    )  # fmt: skip
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Frozen at issue: the parties as they were, and the totals (EN 16931 BT-109/110/112).
    seller = models.JSONField(_("vendeur (figé)"), null=True, blank=True, editable=False)
    buyer = models.JSONField(_("acheteur (figé)"), null=True, blank=True, editable=False)
    total_excl_vat = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    total_vat = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    total_incl_vat = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("facture")
        ordering = ["-issue_date", "-number", "-pk"]
        indexes = [
            models.Index(fields=["company", "kind", "status", "issue_date"]),
            models.Index(fields=["company", "client"]),
            # The invoice list's order (facture_lister): its first page without sorting them all.
            models.Index(
                fields=["company", "status", "-issue_date", "-number", "-id"],
                name="facture_list_order_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"], condition=~Q(number=""), name="facture_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status="brouillon") | (~Q(number="") & Q(issue_date__isnull=False)),
                name="facture_issued_has_number",
            ),
            models.CheckConstraint(
                condition=~Q(kind="avoir") | Q(origin__isnull=False), name="avoir_has_origin"
            ),
        ]
        triggers = [
            # CGI art. 242 nonies A and 286-I-3° bis: an issued document never changes.
            pgtrigger.Protect(
                name="facture_issued_frozen",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="emise"),
            ),
            # A document becomes issued only with its sealed record (`facture_emettre`):
            # setting the status by SQL is refused at commit (issue #23).
            pgtrigger.Trigger(
                name="facture_issued_is_sealed",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.After,
                timing=pgtrigger.Deferred,
                func=ISSUED_IS_SEALED_SQL,
            ),
        ]

    def __str__(self) -> str:
        return self.number or _("Brouillon n° %(pk)s") % {"pk": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("facturation:facture_detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT


LINE_FROZEN_SQL = """
IF TG_OP <> 'INSERT' AND EXISTS (
    SELECT 1 FROM facturation_facture f WHERE f.id = OLD.facture_id AND f.status = 'emise'
) THEN
    RAISE EXCEPTION 'facturation: the lines of an issued document cannot change'
        USING ERRCODE = 'restrict_violation';
END IF;
IF TG_OP <> 'DELETE' AND EXISTS (
    SELECT 1 FROM facturation_facture f WHERE f.id = NEW.facture_id AND f.status = 'emise'
) THEN
    RAISE EXCEPTION 'facturation: the lines of an issued document cannot change'
        USING ERRCODE = 'restrict_violation';
END IF;
IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
RETURN NEW;
"""


class LigneFacture(CompanyOwned, LigneDocument):
    """A line of an invoice, deposit invoice or credit note: a `LigneDocument` and its links."""

    facture = models.ForeignKey(Facture, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    origin_line = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credited_by"
    )
    deposit = models.ForeignKey(
        Facture, on_delete=models.PROTECT, null=True, blank=True, related_name="deductions",
        help_text="The deposit invoice this line deducts",
    )  # fmt: skip

    class Meta:
        verbose_name = _("ligne")
        ordering = ["position", "pk"]
        triggers = [
            pgtrigger.Trigger(
                name="ligne_issued_frozen",
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func=LINE_FROZEN_SQL,
            ),
        ]


class DocumentPDF(models.Model):
    """The PDF of an issued document, rendered once after commit; its SHA-256 is sealed."""

    facture = models.OneToOneField(Facture, on_delete=models.PROTECT, related_name="pdf")
    file = models.FileField(upload_to="factures/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("PDF")
        triggers = [
            pgtrigger.Protect(name="pdf_frozen", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return self.file.name or ""


class LienClient(CompanyOwned):
    """The version of an issued document's customer link (`facturation.public`): the owner
    renews the link, the version goes up, and a link signed with an older one is revoked.
    No row: version 1, the links sent before links could be revoked."""

    facture = models.OneToOneField(Facture, on_delete=models.CASCADE, related_name="lien_client")
    version = models.PositiveIntegerField(default=1)
    renewed_at = models.DateTimeField(null=True, blank=True)
    renewed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("lien client")

    def __str__(self) -> str:
        return f"{self.facture} v{self.version}"


class Envoi(CompanyOwned):
    """An email of an issued document to the customer; the task marks it sent exactly once."""

    facture = models.ForeignKey(Facture, on_delete=models.PROTECT, related_name="envois")
    recipients = models.CharField(_("destinataires"), max_length=500)
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("message"))
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Taken by the sender before it talks to the mail server, outside any transaction; a
    # claim older than `facturation.services.delivery.CLAIM_EXPIRY` is a sender that died.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("envoi")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.facture} → {self.recipients}"


class Frequency(models.TextChoices):
    MONTHLY = "mensuelle", _("Tous les mois")
    QUARTERLY = "trimestrielle", _("Tous les trimestres")
    YEARLY = "annuelle", _("Tous les ans")


class FactureRecurrente(CompanyOwned):
    """A template that Celery beat turns into an invoice at each due date."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("nom"), max_length=200)
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    lines = models.JSONField(_("lignes"), default=list)
    frequency = models.CharField(_("fréquence"), max_length=14, choices=Frequency)
    next_date = models.DateField(_("prochaine facture le"))
    auto_issue = models.BooleanField(
        _("émettre et envoyer automatiquement"),
        default=False,
        help_text=_("Sinon, un brouillon est créé pour que vous le vérifiiez."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("facture récurrente")
        verbose_name_plural = _("factures récurrentes")
        ordering = ["next_date", "pk"]
        indexes = [models.Index(fields=["active", "next_date"])]

    def __str__(self) -> str:
        return self.name


class RecurrenceRun(models.Model):
    """One generated invoice per template and due date: a retried run never duplicates it."""

    recurrence = models.ForeignKey(FactureRecurrente, on_delete=models.CASCADE, related_name="runs")
    due_date = models.DateField()
    facture = models.OneToOneField(Facture, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recurrence", "due_date"], name="recurrence_run_unique")
        ]

    def __str__(self) -> str:
        return f"{self.recurrence_id} {self.due_date}"


# The e-invoicing platform's rows live in their own module (issue #21).
from facturation.plateforme.models import (  # noqa: E402, F401
    ConnexionPlateforme,
    FactureRecue,
    Flux,
    RoutageClient,
    StatutFacture,
)
