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
from django.utils import timezone
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
    (`pgi.secrets`), never shown back; `webhook_token` names the account
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


# ============================================================================================
# Dunning (relances), late penalties, disputes and promises to pay (issue #17).
# What changes after an invoice is issued lives here, beside the frozen invoice
# (ARCHITECTURE.md, "State that changes vs. documents that do not").
# ============================================================================================


class TauxBCE(models.Model):
    """The ECB main refinancing rate from `date_effet` on (C. com. L441-10). Entered by hand
    (Django admin), never fetched at run time; seeded by migration 0007_relances."""

    date_effet = models.DateField(_("en vigueur depuis le"), unique=True)
    taux = models.DecimalField(_("taux (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("taux BCE (refinancement)")
        verbose_name_plural = _("taux BCE (refinancement)")
        ordering = ["-date_effet"]

    def __str__(self) -> str:
        return f"{self.date_effet:%d/%m/%Y} : {self.taux} %"


class TauxInteretLegal(models.Model):
    """The legal interest rate of a half-year (C. mon. fin. L313-2), set by arrêté: one rate
    when the creditor is a private person, one for every other case (our companies)."""

    semestre = models.DateField(_("semestre commençant le"), unique=True)
    taux_particuliers = models.DecimalField(
        _("créanciers particuliers (%)"), max_digits=5, decimal_places=2
    )
    taux_autres = models.DecimalField(_("autres cas (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("taux de l'intérêt légal")
        verbose_name_plural = _("taux de l'intérêt légal")
        ordering = ["-semestre"]
        constraints = [
            models.CheckConstraint(
                condition=Q(semestre__day=1) & Q(semestre__month__in=[1, 7]),
                name="interet_legal_semestre",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.semestre:%m/%Y} : {self.taux_autres} %"


class ModePenalites(models.TextChoices):
    BCE = "bce", _("Taux BCE du semestre + 10 points")
    SOCIETE = "societe", _("Taux indiqué sur la facture")


class ScenarioRelance(CompanyOwned):
    """A company's sequence of reminders; one is the default, a customer may have another."""

    name = models.CharField(_("nom"), max_length=100)
    is_default = models.BooleanField(_("scénario par défaut"), default=False)
    penalty_mode = models.CharField(
        _("pénalités de retard"), max_length=8, choices=ModePenalites, default=ModePenalites.BCE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("scénario de relance")
        ordering = ["-is_default", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["company"], condition=Q(is_default=True), name="scenario_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Canal(models.TextChoices):
    EMAIL = "email", _("E-mail")
    LETTRE = "lettre", _("Lettre recommandée (PDF à imprimer)")
    AUCUN = "aucun", _("Aucun envoi (passage au recouvrement)")


class NatureNiveau(models.TextChoices):
    COURTOISIE = "courtoisie", _("Rappel avant échéance")
    RELANCE = "relance", _("Relance")
    PENALITES = "penalites", _("Relance avec pénalités")
    MISE_EN_DEMEURE = "demeure", _("Mise en demeure")
    RECOUVREMENT = "recouvrement", _("À recouvrer")


class NiveauRelance(CompanyOwned):
    """One step of a scenario: `delay_days` after the due date (negative: before it)."""

    scenario = models.ForeignKey(ScenarioRelance, on_delete=models.CASCADE, related_name="niveaux")
    position = models.PositiveSmallIntegerField(_("ordre"))
    name = models.CharField(_("nom"), max_length=100)
    nature = models.CharField(_("nature"), max_length=12, choices=NatureNiveau)
    delay_days = models.SmallIntegerField(
        _("jours après l'échéance"), help_text=_("Négatif : avant l'échéance.")
    )
    channel = models.CharField(_("canal"), max_length=8, choices=Canal, default=Canal.EMAIL)
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    body = models.TextField(_("texte"), blank=True)

    class Meta:
        verbose_name = _("niveau de relance")
        ordering = ["scenario", "position"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "position"], name="niveau_position_unique"),
            # "Overdue" wording never goes out before the due date: only a courtesy reminder
            # may be planned before it.
            models.CheckConstraint(
                condition=Q(delay_days__gte=1) | Q(nature="courtoisie"),
                name="niveau_before_due_is_courtesy",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProfilRelance(CompanyOwned):
    """How a customer is dunned: its scenario (else the company's default) or not at all."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="profil_relance")
    scenario = models.ForeignKey(
        ScenarioRelance, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("scénario"),
    )  # fmt: skip
    do_not_dun = models.BooleanField(_("ne pas relancer"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profil de relance")

    def __str__(self) -> str:
        return str(self.client)


class EtatRelance(models.TextChoices):
    PREVUE = "prevue", _("Prévue")
    ENVOI = "envoi", _("Envoi en cours")
    ENVOYEE = "envoyee", _("Envoyée")
    A_IMPRIMER = "imprimer", _("Lettre à imprimer et envoyer")
    ENREGISTREE = "enregistree", _("Enregistrée")
    REFUSEE = "refusee", _("Refusée par le serveur de messagerie")
    INCERTAINE = "incertaine", _("Envoi interrompu : à vérifier")


class Relance(CompanyOwned):
    """One level of one invoice's dunning, sent at most once (the unique key below).

    Written and committed before anything leaves; the sender then moves it to ENVOI in its
    own commit, talks to the mail server outside any transaction, and records the outcome.
    A sender killed after the send leaves ENVOI behind: it is never sent again, only shown
    for the owner to check (INCERTAINE), since a mail server cannot join our transaction.
    """

    facture = models.ForeignKey(Facture, on_delete=models.PROTECT, related_name="relances")
    niveau = models.ForeignKey(NiveauRelance, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    nature = models.CharField(max_length=12, choices=NatureNiveau)
    channel = models.CharField(max_length=8, choices=Canal)
    state = models.CharField(max_length=12, choices=EtatRelance, default=EtatRelance.PREVUE)
    planned_for = models.DateField(_("prévue le"))
    recipients = models.CharField(_("destinataires"), max_length=500, blank=True)
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    body = models.TextField(_("texte"), blank=True)
    amount_due = models.DecimalField(max_digits=14, decimal_places=2)
    penalties = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    indemnity = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    manual = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("relance")
        ordering = ["facture", "position"]
        indexes = [
            models.Index(fields=["company", "facture", "position"], name="relance_facture_idx"),
            models.Index(fields=["state", "created_at"], name="relance_pending_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["facture", "niveau"], name="relance_once_per_level"),
        ]

    def __str__(self) -> str:
        return f"{self.facture} · {self.get_nature_display()}"


class EnvoiReleve(CompanyOwned):
    """A customer statement (relevé de compte) emailed on request: recorded, then sent once
    after commit (encaissement.relances.releve_client), its outcome kept for the history."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="envois_releve")
    recipients = models.CharField(_("destinataires"), max_length=500)
    state = models.CharField(max_length=12, choices=EtatRelance, default=EtatRelance.PREVUE)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    balance = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("envoi de relevé de compte")
        indexes = [models.Index(fields=["state", "created_at"], name="envoireleve_pending_idx")]


class PenalitesFacturees(CompanyOwned):
    """Late penalties of an invoice put on an invoice of their own (a draft to review, then
    issued): what was invoiced up to which day, so that the next one asks only the rest. The
    row goes with its draft if the draft is deleted."""

    origine = models.ForeignKey(
        Facture, on_delete=models.PROTECT, related_name="penalites_facturees"
    )
    facture = models.OneToOneField(Facture, on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField()
    interest = models.DecimalField(max_digits=14, decimal_places=2)
    indemnity = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("pénalités facturées")

    @property
    def total(self) -> Decimal:
        return self.interest + self.indemnity


class SourceDemande(models.TextChoices):
    OWNER = "societe", _("La société")
    CUSTOMER = "client", _("Le client (page de paiement)")


class Litige(CompanyOwned):
    """A dispute on an invoice: its dunning pauses until it is resolved."""

    facture = models.ForeignKey(Facture, on_delete=models.PROTECT, related_name="litiges")
    source = models.CharField(max_length=8, choices=SourceDemande, default=SourceDemande.OWNER)
    reason = models.CharField(_("motif"), max_length=200)
    message = models.TextField(_("message"), blank=True)
    opened_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution_note = models.CharField(_("note de résolution"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("litige")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["facture"], condition=Q(resolved_at__isnull=True),
                name="litige_one_open_per_invoice",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.facture} : {self.reason}"


class PromessePaiement(CompanyOwned):
    """A customer's promise to pay `amount` by `date`: dunning waits until then, and resumes
    by itself if the promise was not kept."""

    facture = models.ForeignKey(Facture, on_delete=models.PROTECT, related_name="promesses")
    source = models.CharField(max_length=8, choices=SourceDemande, default=SourceDemande.OWNER)
    date = models.DateField(_("paiement promis le"))
    amount = models.DecimalField(_("montant promis"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("promesse de paiement")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["facture", "date"], name="promesse_facture_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promesse_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.facture} : {self.date}"


# Bank accounts, statements and matching live in their own module (issue #16).
from encaissement.releves.models import (  # noqa: E402, F401
    CompteBancaire,
    LigneReleve,
    ReglagesRapprochement,
    Releve,
    Suggestion,
)
