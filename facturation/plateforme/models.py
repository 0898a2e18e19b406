"""Rows of the e-invoicing platform: the connection, flows, lifecycle statuses, received
invoices. An issued invoice is frozen: what happens to it on the platform lives here, beside
it, and is read through `selectors.statut_courant` (ARCHITECTURE.md, "State that changes")."""

import uuid
from decimal import Decimal

import pgtrigger
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import Client
from pgi.models import CompanyOwned, User


class TypePlateforme(models.TextChoices):
    """The API a platform speaks (`facturation.plateforme.client.plateforme_for`)."""

    AFNOR = "afnor", _("API AFNOR XP Z12-013")


class ConnexionPlateforme(CompanyOwned):
    """A company's connection to its approved platform (PA): the secrets are encrypted
    (`pgi.secrets`), never shown back; `webhook_token` names the connection in the webhook's
    URL, the signature (with `webhook_secret`) proves the sender."""

    kind = models.CharField(
        _("API"), max_length=10, choices=TypePlateforme, default=TypePlateforme.AFNOR
    )
    active = models.BooleanField(_("facturation électronique activée"), default=True)
    name = models.CharField(_("plateforme"), max_length=100, blank=True)
    base_url = models.URLField(_("adresse de l'API"), max_length=300)
    api_key_encrypted = models.TextField(blank=True, editable=False)
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    webhook_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Polling: the received flows are searched from this date on (`reception`).
    polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("connexion à la plateforme agréée")
        constraints = [
            models.UniqueConstraint(fields=["company"], name="connexion_plateforme_unique"),
        ]

    def __str__(self) -> str:
        return self.name or self.base_url


class RoutageClient(CompanyOwned):
    """The routing code (code de routage) a business customer asked to be invoiced at, beside
    its SIREN in the directory (scheme 0225)."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="routage_pa")
    routing_code = models.CharField(_("code de routage"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("code de routage")

    def __str__(self) -> str:
        return f"{self.client} {self.routing_code}"


class TypeFlux(models.TextChoices):
    INVOICE = "facture", _("Facture")
    STATUS = "statut", _("Statut de cycle de vie")
    EREPORTING = "ereporting", _("E-reporting")


class EtatFlux(models.TextChoices):
    PENDING = "a_envoyer", _("À transmettre")
    SUBMITTED = "transmis", _("Transmis")
    FAILED = "erreur", _("Erreur")  # refused at submission or no such buyer: the owner acts


class Flux(CompanyOwned):
    """One flow to send to the platform, written in the transaction of what makes it (an
    issued invoice, a payment allocation, a refusal, a period's e-reporting).

    `key` says what it is for, once per company (a second payment of the same allocation is
    the same key): the intent is never recorded twice. `tracking_id` is ours, generated and
    stored before the first call: a call that timed out is looked up by it before any new
    submission (XP Z12-013 `trackingId`), so a flow is never submitted twice."""

    kind = models.CharField(_("type"), max_length=10, choices=TypeFlux)
    key = models.CharField(max_length=100)
    state = models.CharField(_("état"), max_length=10, choices=EtatFlux, default=EtatFlux.PENDING)
    tracking_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    flow_id = models.CharField(_("identifiant du flux"), max_length=100, blank=True)
    facture = models.ForeignKey(
        "facturation.Facture", on_delete=models.PROTECT, null=True, blank=True,
        related_name="flux_pa",
    )  # fmt: skip
    facture_recue = models.ForeignKey(
        "FactureRecue", on_delete=models.PROTECT, null=True, blank=True, related_name="flux"
    )
    status_code = models.CharField(max_length=3, blank=True)  # a status flow's code
    payload = models.JSONField(default=dict, blank=True)  # a status's or a report's content
    routing = models.CharField(
        max_length=200, blank=True
    )  # the buyer's address, from the directory
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    answer = models.JSONField(default=dict, blank=True)  # what the platform answered
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("flux")
        verbose_name_plural = _("flux")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"], name="flux_pending_idx")]
        constraints = [
            models.UniqueConstraint(fields=["company", "key"], name="flux_key_unique"),
        ]
        triggers = [
            # What was transmitted to the platform is never deleted (LEGAL.md §3).
            pgtrigger.Protect(name="flux_never_deleted", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return self.key


class CodeStatut(models.TextChoices):
    """Lifecycle statuses of the reform (déposée, rejetée, refusée, encaissée are mandatory)."""

    DEPOSEE = "200", _("Déposée")
    EMISE = "201", _("Émise par la plateforme")
    RECUE = "202", _("Reçue par la plateforme")
    MISE_A_DISPOSITION = "203", _("Mise à disposition")
    PRISE_EN_CHARGE = "204", _("Prise en charge")
    APPROUVEE = "205", _("Approuvée")
    APPROUVEE_PARTIELLEMENT = "206", _("Approuvée partiellement")
    EN_LITIGE = "207", _("En litige")
    SUSPENDUE = "208", _("Suspendue")
    COMPLETEE = "209", _("Complétée")
    REFUSEE = "210", _("Refusée")
    PAIEMENT_TRANSMIS = "211", _("Paiement transmis")
    ENCAISSEE = "212", _("Encaissée")
    REJETEE = "213", _("Rejetée")


# After these, nothing more is expected of the platform on a sent invoice ("rejetée" 213,
# "refusée" 210): the "à corriger" filter starts from the statuses with these codes.
FINAL = [CodeStatut.REJETEE, CodeStatut.REFUSEE]


class SourceStatut(models.TextChoices):
    PLATFORM = "plateforme", _("La plateforme")
    COMPANY = "societe", _("La société")


class StatutFacture(CompanyOwned):
    """A lifecycle status of an invoice (one issued here, or one received), as the platform
    dated it; append-only. The current status is the latest by `at`, whatever the order the
    statuses arrived in (a webhook may overtake another)."""

    facture = models.ForeignKey(
        "facturation.Facture", on_delete=models.PROTECT, null=True, blank=True,
        related_name="statuts_pa",
    )  # fmt: skip
    facture_recue = models.ForeignKey(
        "FactureRecue", on_delete=models.PROTECT, null=True, blank=True, related_name="statuts"
    )
    code = models.CharField(_("statut"), max_length=3, choices=CodeStatut)
    at = models.DateTimeField(_("date"))
    reason = models.CharField(_("motif"), max_length=500, blank=True)
    source = models.CharField(max_length=10, choices=SourceStatut, default=SourceStatut.PLATFORM)
    # The platform's event id (a replayed webhook, a status polled then pushed: recorded once).
    event_id = models.CharField(max_length=100)
    detail = models.JSONField(default=dict, blank=True)  # 212: date and amounts per VAT rate
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("statut de facture électronique")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["facture", "at"], name="statut_facture_idx"),
            # The few invoices that ever had a final status (`selectors.a_corriger`: the list's
            # filter, the home card), found without reading every status (bench/README.md).
            models.Index(
                fields=["facture"],
                condition=Q(code__in=FINAL, facture__isnull=False),
                name="statut_final_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["company", "event_id"], name="statut_event_unique"),
            models.CheckConstraint(
                condition=Q(facture__isnull=False) | Q(facture_recue__isnull=False),
                name="statut_has_invoice",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="statut_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.at:%Y-%m-%d}"


class EtatFactureRecue(models.TextChoices):
    RECEIVED = "recue", _("À traiter")
    APPROVED = "approuvee", _("Approuvée")
    REFUSED = "refusee", _("Refusée")


class FactureRecue(CompanyOwned):
    """A supplier invoice received through the platform: what its Factur-X/CII says, its
    file, and what the owner decided. The start of the purchases side."""

    flow_id = models.CharField(max_length=100)
    supplier_name = models.CharField(_("fournisseur"), max_length=200)
    supplier_siren = models.CharField(_("SIREN du fournisseur"), max_length=9, blank=True)
    supplier_vat_number = models.CharField(max_length=20, blank=True)
    number = models.CharField(_("numéro"), max_length=100)
    type_code = models.CharField(max_length=3, default="380")
    issue_date = models.DateField(_("date"), null=True, blank=True)
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    total_excl_vat = models.DecimalField(
        _("total HT"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    total_vat = models.DecimalField(_("TVA"), max_digits=14, decimal_places=2, default=Decimal("0"))
    total_incl_vat = models.DecimalField(
        _("total TTC"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    file = models.FileField(upload_to="recues/%Y/%m/", blank=True)
    xml = models.TextField(blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("doublon de"),
    )  # fmt: skip
    state = models.CharField(
        _("état"), max_length=10, choices=EtatFactureRecue, default=EtatFactureRecue.RECEIVED
    )
    refusal_reason = models.CharField(_("motif du refus"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    paid_on = models.DateField(_("payée le"), null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("facture fournisseur reçue")
        verbose_name_plural = _("factures fournisseurs reçues")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["company", "flow_id"], name="recue_flow_unique"),
        ]
        triggers = [
            # A received invoice is an accounting document: kept, never deleted.
            pgtrigger.Protect(name="recue_never_deleted", operation=pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_name} {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("plateforme:recue_detail", args=[self.pk])
