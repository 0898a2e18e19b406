"""Customers and prospects (clients) and their contacts."""

from django.contrib.postgres.fields import ArrayField
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


class Origine(models.TextChoices):
    """Where a prospect came from (lead source)."""

    WEBSITE = "site", _("Site web")
    REFERRAL = "recommandation", _("Recommandation")
    EVENT = "salon", _("Salon, événement")
    OUTBOUND = "prospection", _("Prospection")
    SOCIAL = "reseaux", _("Réseaux sociaux")
    OTHER = "autre", _("Autre")


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
    legal_form = models.CharField(_("forme juridique"), max_length=100, blank=True)
    naf_code = models.CharField(_("code NAF"), max_length=6, blank=True)
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
    source = models.CharField(_("origine"), max_length=16, choices=Origine, blank=True)
    tags = ArrayField(
        models.CharField(max_length=40), verbose_name=_("étiquettes"), default=list, blank=True
    )
    owner = models.ForeignKey(
        "pgi.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsable"),
    )
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
            GinIndex(fields=["tags"], name="client_tags"),
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


# The sales funnel (issue #20): stages per company, opportunities moving through them, the
# history of their moves, and the commercial activities (calls, emails, meetings, notes, tasks).


class Etape(CompanyOwned):
    """A column of the company's funnel; a won or lost stage closes the opportunities in it."""

    name = models.CharField(_("nom"), max_length=60)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("probabilité (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    is_won = models.BooleanField(_("gagnée"), default=False)
    is_lost = models.BooleanField(_("perdue"), default=False)

    class Meta:
        verbose_name = _("étape")
        verbose_name_plural = _("étapes")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="etape_name_unique"),
            models.CheckConstraint(
                condition=~(Q(is_won=True) & Q(is_lost=True)), name="etape_won_xor_lost"
            ),
            models.CheckConstraint(condition=Q(probability__lte=100), name="etape_probability"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closing(self) -> bool:
        return self.is_won or self.is_lost


class OpportuniteStatut(models.TextChoices):
    OPEN = "ouverte", _("En cours")
    WON = "gagnee", _("Gagnée")
    LOST = "perdue", _("Perdue")


class Opportunite(CompanyOwned):
    """A deal in progress with a prospect or a customer; its probability is its stage's unless
    overridden."""

    title = models.CharField(_("titre"), max_length=200)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="opportunites", verbose_name=_("client")
    )
    amount = models.DecimalField(_("montant HT"), max_digits=14, decimal_places=2, default=0)
    expected_close_date = models.DateField(_("date de signature prévue"), null=True, blank=True)
    etape = models.ForeignKey(
        Etape, on_delete=models.PROTECT, related_name="opportunites", verbose_name=_("étape")
    )
    probability_override = models.PositiveSmallIntegerField(
        _("probabilité (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Laissez vide pour appliquer celle de l'étape."),
    )
    owner = models.ForeignKey(
        "pgi.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsable"),
    )
    next_action = models.CharField(_("prochaine action"), max_length=200, blank=True)
    next_action_date = models.DateField(_("date de la prochaine action"), null=True, blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=OpportuniteStatut, default=OpportuniteStatut.OPEN
    )
    close_reason = models.CharField(_("motif"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)
    stage_entered_at = models.DateTimeField(_("dans l'étape depuis"), auto_now_add=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("opportunité")
        verbose_name_plural = _("opportunités")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["company", "status", "etape"], name="opportunite_board"),
            models.Index(fields=["company", "expected_close_date"], name="opportunite_close"),
            models.Index(fields=["client", "-created_at"], name="opportunite_client"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability_override__isnull=True) | Q(probability_override__lte=100),
                name="opportunite_probability",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pipeline:opportunite_detail", args=[self.pk])

    @property
    def probability(self) -> int:
        if self.probability_override is not None:
            return self.probability_override
        return self.etape.probability

    @property
    def is_open(self) -> bool:
        return self.status == OpportuniteStatut.OPEN


class PassageEtape(CompanyOwned):
    """An opportunity's move from one stage to another (the funnel statistics read these)."""

    opportunite = models.ForeignKey(Opportunite, on_delete=models.CASCADE, related_name="passages")
    from_etape = models.ForeignKey(
        Etape, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_etape = models.ForeignKey(Etape, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("le"), auto_now_add=True)
    user = models.ForeignKey(
        "pgi.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("changement d'étape")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["company", "at"], name="passage_company_at")]


class ActiviteKind(models.TextChoices):
    CALL = "appel", _("Appel")
    EMAIL = "email", _("E-mail")
    MEETING = "rdv", _("Rendez-vous")
    NOTE = "note", _("Note")
    TASK = "tache", _("Tâche")


class Activite(CompanyOwned):
    """A call, email, meeting, note or task about a customer (and maybe one of its deals)."""

    kind = models.CharField(_("type"), max_length=8, choices=ActiviteKind)
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("détails"), blank=True)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="activites", verbose_name=_("client")
    )
    opportunite = models.ForeignKey(
        Opportunite,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activites",
        verbose_name=_("opportunité"),
    )
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    assignee = models.ForeignKey(
        "pgi.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignée à"),
    )
    done_at = models.DateTimeField(_("faite le"), null=True, blank=True)
    reminded_on = models.DateField(_("rappel envoyé le"), null=True, blank=True)
    created_by = models.ForeignKey(
        "pgi.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("activité")
        verbose_name_plural = _("activités")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["company", "assignee", "due_date"],
                condition=Q(done_at__isnull=True, kind="tache"),
                name="activite_open_tasks",
            ),
            models.Index(
                fields=["due_date"],
                condition=Q(done_at__isnull=True, kind="tache"),
                name="activite_due_tasks",
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_task(self) -> bool:
        return self.kind == ActiviteKind.TASK


class AccesPortail(CompanyOwned):
    """A customer's magic link to its portal (crm.portail): signed, expiring, revocable."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="acces_portail")
    email = models.EmailField(_("envoyé à"))
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"))
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    created_by = models.ForeignKey(
        "pgi.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("accès au portail client")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["client", "-created_at"], name="portail_client")]

    def __str__(self) -> str:
        return f"{self.client} · {self.email}"
