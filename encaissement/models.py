"""Payments (encaissements) and their allocations to issued invoices.

A payment is never edited or deleted: a mistake is reversed by a new payment of the opposite
sign (`reverses`), and what was allocated is un-allocated by allocations of the opposite sign.
Both tables are append-only (triggers), and every payment and reversal is sealed in the
company's register (`encaissement.services`), dated on the day the money moved.
"""

import uuid
from decimal import Decimal

import pgtrigger
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import Client
from facturation.models import Facture
from pgi.models import CompanyOwned, RecordKind, User


class Method(models.TextChoices):
    TRANSFER = "virement", _("Virement")
    CHEQUE = "cheque", _("Chèque")
    CASH = "especes", _("Espèces")
    CARD = "carte", _("Carte bancaire")
    DIRECT_DEBIT = "prelevement", _("Prélèvement")


class Paiement(CompanyOwned):
    """Money received from a customer (positive), or the reversal of such a record (negative)."""

    kind = models.CharField(
        _("type"), max_length=12, default=RecordKind.PAYMENT,
        choices=[(RecordKind.PAYMENT, RecordKind.PAYMENT.label),
                 (RecordKind.PAYMENT_REVERSAL, RecordKind.PAYMENT_REVERSAL.label)],
    )  # fmt: skip
    number = models.CharField(_("numéro"), max_length=40)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="paiements", verbose_name=_("client")
    )
    date = models.DateField(_("date de l'encaissement"))
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    method = models.CharField(_("moyen de paiement"), max_length=12, choices=Method)
    payer = models.CharField(_("payeur"), max_length=200, blank=True)
    reference = models.CharField(_("référence bancaire"), max_length=140, blank=True)
    notes = models.CharField(_("note"), max_length=500, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversal",
        verbose_name=_("annule l'encaissement"),
    )  # fmt: skip
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("encaissement")
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["company", "-date", "-id"], name="paiement_list_order_idx"),
            models.Index(fields=["company", "client"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="paiement_number_unique"),
            models.CheckConstraint(
                condition=(Q(kind="encaissement") & Q(amount__gt=0) & Q(reverses__isnull=True))
                | (Q(kind="annulation") & Q(amount__lt=0) & Q(reverses__isnull=False)),
                name="paiement_sign_follows_kind",
            ),
        ]
        triggers = [
            # CGI art. 286-I-3° bis: a payment is corrected by a new record, never edited.
            pgtrigger.Protect(
                name="paiement_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("encaissement:paiement_detail", args=[self.pk])

    @property
    def is_reversal(self) -> bool:
        return self.kind == RecordKind.PAYMENT_REVERSAL


class Affectation(CompanyOwned):
    """Part of a payment set against one issued invoice, split per VAT rate.

    The split (`ventilation`: rate, base, VAT, amount incl. VAT) is the pro rata of the
    invoice's VAT breakdown: VAT on services is due when cashed, and the e-invoicing
    "encaissée" status reports the amount cashed per rate.
    """

    paiement = models.ForeignKey(Paiement, on_delete=models.PROTECT, related_name="affectations")
    facture = models.ForeignKey(
        Facture, on_delete=models.PROTECT, related_name="affectations", verbose_name=_("facture")
    )
    amount = models.DecimalField(_("montant affecté"), max_digits=14, decimal_places=2)
    ventilation = models.JSONField(_("ventilation par taux de TVA"), default=list)
    # Part of its payment's sealed record (made with it), or allocated later from the credit.
    sealed = models.BooleanField(_("scellée avec l'encaissement"), default=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("affectation")
        ordering = ["pk"]
        indexes = [
            # What is paid per invoice, summed from the index alone (the dashboard's join).
            models.Index(
                fields=["company", "facture"], include=["amount"], name="affectation_due_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=Decimal("0")), name="affectation_not_zero"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="affectation_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]


class Imputation(CompanyOwned):
    """Part of an issued credit note set against another invoice of the same customer (the
    credit note's own invoice was already paid): what is due moves from one to the other."""

    avoir = models.ForeignKey(
        Facture, on_delete=models.PROTECT, related_name="imputations_faites",
        verbose_name=_("avoir"),
    )  # fmt: skip
    facture = models.ForeignKey(
        Facture, on_delete=models.PROTECT, related_name="imputations_recues",
        verbose_name=_("facture"),
    )  # fmt: skip
    amount = models.DecimalField(_("montant imputé"), max_digits=14, decimal_places=2)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("imputation d'avoir")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="imputation_positive"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="imputation_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]


# Online payment (the customer's payment page) ----------------------------------------------


class Prestataire(models.TextChoices):
    """Online payment providers (`encaissement.providers`)."""

    STRIPE = "stripe", "Stripe"


class ComptePrestataire(CompanyOwned):
    """A company's account with an online payment provider: its keys, the secrets encrypted
    (`encaissement.providers.secrets`), never shown back; `webhook_token` names the account
    in the webhook's URL (the provider's signature, checked with `webhook_secret`, proves the
    sender)."""

    provider = models.CharField(
        _("prestataire"), max_length=20, choices=Prestataire, default=Prestataire.STRIPE
    )
    active = models.BooleanField(_("paiement en ligne activé"), default=True)
    publishable_key = models.CharField(_("clé publiable"), max_length=200, blank=True)
    secret_key_encrypted = models.TextField(blank=True, editable=False)
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    card = models.BooleanField(_("carte bancaire"), default=True)
    sepa_debit = models.BooleanField(_("prélèvement SEPA"), default=True)
    webhook_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("compte de paiement en ligne")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "provider"], name="compte_prestataire_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.get_provider_display()


class SessionStatus(models.TextChoices):
    CREATING = "creation", _("En création")
    OPEN = "ouverte", _("Ouverte")
    PROCESSING = "traitement", _("En cours de traitement")
    PAID = "payee", _("Payée")
    FAILED = "echouee", _("Échouée")
    EXPIRED = "expiree", _("Expirée")
    UNAVAILABLE = "indisponible", _("Prestataire injoignable")


class SessionPaiement(CompanyOwned):
    """One attempt of the customer to pay an invoice online (a provider's checkout session).

    Not a legal record: its state follows the provider's events; the money itself is a
    `Paiement` recorded (and sealed) when the provider says it is paid, reversed if a debit
    recorded as paid fails afterwards."""

    compte = models.ForeignKey(ComptePrestataire, on_delete=models.PROTECT, related_name="+")
    facture = models.ForeignKey(Facture, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(_("moyen de paiement"), max_length=12, choices=Method)
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    url = models.URLField(max_length=2000, blank=True)
    status = models.CharField(
        _("état"), max_length=12, choices=SessionStatus, default=SessionStatus.CREATING
    )
    paiement = models.OneToOneField(
        Paiement, on_delete=models.PROTECT, null=True, blank=True, related_name="session"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("session de paiement en ligne")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["facture", "status"])]

    def __str__(self) -> str:
        return self.provider_id or str(self.idempotency_key)


class EvenementPrestataire(models.Model):
    """Each webhook event of a provider, stored once under its id: a replay changes nothing."""

    compte = models.ForeignKey(ComptePrestataire, on_delete=models.PROTECT, related_name="+")
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    session = models.ForeignKey(
        SessionPaiement, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("événement de paiement en ligne")
        constraints = [
            models.UniqueConstraint(fields=["compte", "event_id"], name="evenement_once"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="evenement_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class Consultation(models.Model):
    """The customer opened the payment page of an invoice that day (once per day is enough)."""

    facture = models.ForeignKey(Facture, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("consultation par le client")
        constraints = [
            models.UniqueConstraint(fields=["facture", "day"], name="consultation_once_a_day"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="consultation_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facture_id} {self.day}"


# Bank accounts, statements and matching live in their own module (issue #16).
from encaissement.releves.models import (  # noqa: E402, F401
    CompteBancaire,
    LigneReleve,
    ReglagesRapprochement,
    Releve,
    Suggestion,
)
