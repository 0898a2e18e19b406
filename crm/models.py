"""Customers and prospects (clients) and their contacts."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pgi.identifiers import validate_siren, validate_siret, validate_vat_number
from pgi.mentions import PAYMENT_TERMS_MAX_DAYS
from pgi.models import CompanyOwned


class ClientKind(models.TextChoices):
    COMPANY = "entreprise", _("Entreprise")
    INDIVIDUAL = "particulier", _("Particulier")


class ClientStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    CUSTOMER = "client", _("Client")


class Client(CompanyOwned):
    """A customer or prospect of the company; B2B when `kind` is a company."""

    kind = models.CharField(
        _("type"), max_length=12, choices=ClientKind, default=ClientKind.COMPANY
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=ClientStatus, default=ClientStatus.PROSPECT
    )
    name = models.CharField(_("nom ou raison sociale"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    vat_number = models.CharField(
        _("n° de TVA intracommunautaire"),
        max_length=20,
        blank=True,
        validators=[validate_vat_number],
    )
    email = models.EmailField(_("e-mail de facturation"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    billing_line1 = models.CharField(_("adresse de facturation"), max_length=200, blank=True)
    billing_line2 = models.CharField(_("complément"), max_length=200, blank=True)
    billing_postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    billing_city = models.CharField(_("ville"), max_length=100, blank=True)
    billing_country = models.CharField(_("pays"), max_length=2, default="FR")
    delivery_line1 = models.CharField(_("adresse de livraison"), max_length=200, blank=True)
    delivery_line2 = models.CharField(_("complément"), max_length=200, blank=True)
    delivery_postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    delivery_city = models.CharField(_("ville"), max_length=100, blank=True)
    delivery_country = models.CharField(_("pays"), max_length=2, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(
        _("délai de paiement (jours)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(PAYMENT_TERMS_MAX_DAYS)],
        help_text=_("Laissez vide pour appliquer le délai de la société."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["company", "name", "id"], name="client_company_name"),
            # `icontains` compiles to UPPER(col) LIKE UPPER(%…%): the trigram indexes must be
            # on UPPER(col) for PostgreSQL to use them (bench/README.md).
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="client_name_trgm"),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="client_email_trgm"),
            GinIndex(OpClass(Upper("billing_city"), name="gin_trgm_ops"), name="client_city_trgm"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "siret"], condition=~Q(siret=""), name="client_siret_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("crm:client_detail", args=[self.pk])

    @property
    def is_business(self) -> bool:
        return self.kind == ClientKind.COMPANY

    @property
    def has_delivery_address(self) -> bool:
        return bool(self.delivery_line1 or self.delivery_city)

    def effective_payment_terms(self) -> int:
        if self.payment_terms_days is not None:
            return self.payment_terms_days
        return self.company.payment_terms_days


class Contact(CompanyOwned):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    last_name = models.CharField(_("nom"), max_length=100)
    job_title = models.CharField(_("fonction"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    mobile = models.CharField(_("mobile"), max_length=30, blank=True)
    is_primary = models.BooleanField(_("contact principal"), default=False)

    class Meta:
        verbose_name = _("contact")
        ordering = ["-is_primary", "last_name", "pk"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
