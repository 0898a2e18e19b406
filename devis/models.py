"""Quotes (devis), their lines, versions, acceptance evidence and emails (LEGAL.md §1).

A quote is a draft until `devis_envoyer` gives it a number (`D-2026-0007`) and freezes what
was sent (`content`, its PDF). Changing a sent quote makes a new version of the same number
(`D-2026-0007-v2`, `devis_reviser`); the earlier one is kept, marked superseded once the new
one is sent. Every change of state goes through `devis.services` and writes a history row.
"""

from decimal import Decimal

import pgtrigger
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import Client
from facturation.models import Article, Facture
from pgi.lignes import LigneDocument
from pgi.models import Company, CompanyOwned, User


class Statut(models.TextChoices):
    DRAFT = "brouillon", _("Brouillon")
    SENT = "envoye", _("Envoyé")
    VIEWED = "vu", _("Vu")
    ACCEPTED = "accepte", _("Accepté")
    REFUSED = "refuse", _("Refusé")
    EXPIRED = "expire", _("Expiré")
    INVOICED = "facture", _("Facturé")
    CANCELLED = "annule", _("Annulé")
    SUPERSEDED = "remplace", _("Remplacé")


# The states in which the customer may still answer.
OPEN_STATES = (Statut.SENT, Statut.VIEWED)


# What was sent is what the customer accepts (LEGAL.md §1): once a quote leaves the draft
# state, its terms, lines and frozen content never change, whatever the path (issue #18).
# What still moves: its state and answer dates, its customer link's version, its PDF until it
# is rendered once, and its totals when the customer's acceptance adds the options ticked.
SENT_FROZEN_COLUMNS = (
    "company_id", "client_id", "number", "version", "origine_id", "subject", "notes",
    "issue_date", "validity_days", "valid_until", "start_date", "duration", "deposit_percent",
    "deposit_amount", "payment_terms", "execution_terms", "after_sales_terms",
    "price_revision_terms", "is_paid_quote", "quote_price", "cgv", "content", "sent_at",
    "created_at",
)  # fmt: skip


def _row(prefix: str, columns: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"{prefix}.{column}" for column in columns) + ")"


DEVIS_SENT_FROZEN_SQL = f"""
IF OLD.status <> 'brouillon' AND (
    TG_OP = 'DELETE'
    OR NEW.status = 'brouillon'
    OR {_row("NEW", SENT_FROZEN_COLUMNS)} IS DISTINCT FROM {_row("OLD", SENT_FROZEN_COLUMNS)}
    OR (OLD.pdf_sha256 <> ''
        AND (NEW.pdf, NEW.pdf_sha256) IS DISTINCT FROM (OLD.pdf, OLD.pdf_sha256))
    OR ((NEW.total_excl_vat, NEW.total_vat, NEW.total_incl_vat)
            IS DISTINCT FROM (OLD.total_excl_vat, OLD.total_vat, OLD.total_incl_vat)
        AND NOT (OLD.status IN ('envoye', 'vu') AND NEW.status = 'accepte'))
) THEN
    RAISE EXCEPTION 'devis: % is sent, what was sent cannot change', OLD.number
        USING ERRCODE = 'restrict_violation';
END IF;
IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
RETURN NEW;
"""

# The lines of a sent quote: none added, changed or deleted, but the options the customer
# ticks (`chosen`) while the quote is still open to an answer.
LINE_SENT_FROZEN_SQL = """
IF TG_OP <> 'INSERT' AND EXISTS (
    SELECT 1 FROM devis_devis d WHERE d.id = OLD.devis_id AND d.status <> 'brouillon'
) AND NOT (
    TG_OP = 'UPDATE'
    AND (to_jsonb(NEW) - 'chosen') = (to_jsonb(OLD) - 'chosen')
    AND EXISTS (SELECT 1 FROM devis_devis d WHERE d.id = OLD.devis_id
                AND d.status IN ('envoye', 'vu'))
) THEN
    RAISE EXCEPTION 'devis: the lines of a sent quote cannot change'
        USING ERRCODE = 'restrict_violation';
END IF;
IF TG_OP = 'INSERT' AND EXISTS (
    SELECT 1 FROM devis_devis d WHERE d.id = NEW.devis_id AND d.status <> 'brouillon'
) THEN
    RAISE EXCEPTION 'devis: the lines of a sent quote cannot change'
        USING ERRCODE = 'restrict_violation';
END IF;
IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
RETURN NEW;
"""


class ParametresDevis(models.Model):
    """A company's quote settings: validity, reminder, default terms, and for an artisan
    whose work calls for a compulsory insurance, the insurer and covered area (loi Pinel,
    art. 22 of law 2014-626)."""

    company = models.OneToOneField(
        Company, on_delete=models.CASCADE, primary_key=True, related_name="parametres_devis"
    )
    validity_days = models.PositiveSmallIntegerField(
        _("durée de validité par défaut (jours)"), default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )  # fmt: skip
    reminder_days = models.PositiveSmallIntegerField(
        _("relance avant expiration (jours)"), default=5,
        help_text=_("0 : pas de rappel au client avant l'expiration."),
    )  # fmt: skip
    insurance_required = models.BooleanField(
        _("assurance professionnelle obligatoire"), default=False,
        help_text=_("Artisans du bâtiment (décennale…) : l'assureur et la zone couverte "
                    "figurent sur chaque devis."),
    )  # fmt: skip
    insurer = models.CharField(_("assureur (nom et coordonnées)"), max_length=300, blank=True)
    insurance_area = models.CharField(_("couverture géographique"), max_length=200, blank=True)
    payment_terms = models.TextField(_("conditions de paiement"), blank=True)
    execution_terms = models.TextField(_("conditions de livraison et d'exécution"), blank=True)
    after_sales_terms = models.TextField(
        _("réclamations et service après-vente / garanties"), blank=True
    )
    price_revision_terms = models.TextField(_("révision des prix"), blank=True)
    cgv = models.TextField(_("conditions générales de vente"), blank=True)

    class Meta:
        verbose_name = _("paramètres des devis")

    def __str__(self) -> str:
        return str(self.company)


class Devis(CompanyOwned):
    """A quote, one version of it; frozen once sent (its `content` and PDF)."""

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="devis", verbose_name=_("client")
    )
    status = models.CharField(_("statut"), max_length=10, choices=Statut, default=Statut.DRAFT)
    number = models.CharField(_("numéro"), max_length=40, blank=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    # The first version of the quote; None on the first version itself.
    origine = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="versions"
    )
    # The sales-funnel deal the quote was made from (crm): accepting the quote wins it,
    # a refusal or an expiry proposes to mark it lost (devis.services._set_status).
    opportunite = models.ForeignKey(
        "crm.Opportunite", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="devis", verbose_name=_("opportunité"),
    )  # fmt: skip
    subject = models.CharField(_("objet"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    issue_date = models.DateField(_("date du devis"), null=True, blank=True)
    validity_days = models.PositiveSmallIntegerField(
        _("validité (jours)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    start_date = models.DateField(_("début des travaux / de la prestation"), null=True, blank=True)
    duration = models.CharField(_("durée estimée"), max_length=100, blank=True)
    deposit_percent = models.DecimalField(
        _("acompte demandé (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )  # fmt: skip
    deposit_amount = models.DecimalField(
        _("acompte demandé (€ TTC)"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip
    payment_terms = models.TextField(_("conditions de paiement"), blank=True)
    execution_terms = models.TextField(_("conditions de livraison et d'exécution"), blank=True)
    after_sales_terms = models.TextField(_("réclamations et service après-vente"), blank=True)
    price_revision_terms = models.TextField(_("révision des prix"), blank=True)
    is_paid_quote = models.BooleanField(_("devis payant"), default=False)
    quote_price = models.DecimalField(
        _("prix du devis (€ TTC)"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip
    cgv = models.TextField(_("conditions générales de vente"), blank=True)
    # Frozen when sent: what the PDF prints and the customer accepts.
    content = models.JSONField(null=True, blank=True, editable=False, encoder=DjangoJSONEncoder)
    total_excl_vat = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    total_vat = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    total_incl_vat = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    pdf = models.FileField(upload_to="devis/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    link_version = models.PositiveIntegerField(default=1)
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    viewed_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("devis")
        verbose_name_plural = _("devis")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["company", "status", "valid_until"]),
            models.Index(fields=["company", "client"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number", "version"],
                condition=~Q(number=""),
                name="devis_number_version_unique",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=Q(status="brouillon") | ~Q(number=""), name="devis_sent_has_number"
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="devis_sent_frozen",
                operation=pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func=DEVIS_SENT_FROZEN_SQL,
            ),
        ]

    def __str__(self) -> str:
        return self.reference or _("Devis brouillon n° %(pk)s") % {"pk": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("devis:devis_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        """`D-2026-0007`, then `D-2026-0007-v2` for its second version."""
        if not self.number:
            return ""
        return self.number if self.version == 1 else f"{self.number}-v{self.version}"

    @property
    def family_id(self) -> int:
        return self.origine_id or self.pk

    @property
    def is_draft(self) -> bool:
        return self.status == Statut.DRAFT


class Categorie(models.TextChoices):
    SUPPLY = "fourniture", _("Fourniture / prestation")
    LABOUR = "main_oeuvre", _("Main-d'œuvre")
    TRAVEL = "deplacement", _("Frais de déplacement")


class LigneDevis(CompanyOwned, LigneDocument):
    """A line of a quote: a `LigneDocument`, its category (labour lines are priced by the
    hour or flat rate through their unit), and whether it is an option the customer ticks."""

    devis = models.ForeignKey(Devis, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    category = models.CharField(
        _("catégorie"), max_length=12, choices=Categorie, default=Categorie.SUPPLY
    )
    optional = models.BooleanField(_("option"), default=False)
    chosen = models.BooleanField(_("option retenue"), default=False)

    class Meta:
        verbose_name = _("ligne de devis")
        ordering = ["position", "pk"]
        triggers = [
            pgtrigger.Trigger(
                name="ligne_devis_sent_frozen",
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func=LINE_SENT_FROZEN_SQL,
            ),
        ]

    @property
    def counts(self) -> bool:
        """In the quote's total: a firm line, or an option the customer ticked."""
        return not self.optional or self.chosen


class Acceptation(CompanyOwned):
    """The customer's acceptance of one quote version: the evidence sealed in the register."""

    devis = models.OneToOneField(Devis, on_delete=models.PROTECT, related_name="acceptation")
    name = models.CharField(_("nom"), max_length=200)
    accepted_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    pdf_sha256 = models.CharField(max_length=64)
    consent_text = models.TextField()
    options = models.JSONField(default=list)  # the positions of the options ticked
    signature = models.TextField(blank=True)  # a drawn signature, PNG data URI
    record_sequence = models.PositiveBigIntegerField(null=True)
    signed_pdf = models.FileField(upload_to="devis/signes/%Y/%m/", blank=True)
    signed_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("acceptation")
        triggers = [
            # The evidence never changes once recorded; only the signed copy is added later.
            pgtrigger.Protect(name="acceptation_frozen", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="acceptation_evidence_frozen",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange(
                    "devis",
                    "name",
                    "accepted_at",
                    "ip",
                    "user_agent",
                    "pdf_sha256",
                    "consent_text",
                    "options",
                    "signature",
                ),
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.devis} — {self.name}"


class Role(models.TextChoices):
    DEPOSIT = "acompte", _("Facture d'acompte")
    FINAL = "solde", _("Facture")


class DevisFacture(CompanyOwned):
    """An invoice made from a quote (deposit or final), the link read from both sides."""

    devis = models.ForeignKey(Devis, on_delete=models.PROTECT, related_name="factures")
    facture = models.OneToOneField(Facture, on_delete=models.CASCADE, related_name="devis_lien")
    role = models.CharField(max_length=8, choices=Role)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("facture du devis")

    def __str__(self) -> str:
        return f"{self.devis} → {self.facture}"


class Historique(CompanyOwned):
    """One change of state of a quote, for its timeline."""

    devis = models.ForeignKey(Devis, on_delete=models.CASCADE, related_name="historique")
    from_status = models.CharField(max_length=10, choices=Statut, blank=True)
    to_status = models.CharField(max_length=10, choices=Statut)
    at = models.DateTimeField()
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.devis_id}: {self.from_status} → {self.to_status}"


class Motif(models.TextChoices):
    QUOTE = "devis", _("Envoi du devis")
    REMINDER = "rappel", _("Rappel avant expiration")
    SIGNED_COPY = "copie", _("Copie signée au client")
    # The owner's notices of earlier versions; the team is now told by `pgi.notifications`.
    OWNER_ACCEPTED = "accepte", _("Avis d'acceptation")
    OWNER_REFUSED = "refuse", _("Avis de refus")


class EnvoiDevis(CompanyOwned):
    """An email about a quote, recorded in the transaction of its cause and sent once after
    commit (`devis.tasks`, with a sweeper for the lost ones)."""

    devis = models.ForeignKey(Devis, on_delete=models.PROTECT, related_name="envois")
    motif = models.CharField(max_length=8, choices=Motif)
    recipients = models.CharField(_("destinataires"), max_length=500)
    subject = models.CharField(_("objet"), max_length=200)
    body = models.TextField(_("message"))
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("envoi de devis")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["sent_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.devis} → {self.recipients}"
