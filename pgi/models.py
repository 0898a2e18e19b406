"""The shared kernel: users, companies (the tenant), memberships, invitations, API tokens."""

import hashlib
from decimal import Decimal
from typing import ClassVar

import pgtrigger
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pgi.identifiers import (
    validate_bic,
    validate_iban,
    validate_siren,
    validate_siret,
    validate_vat_number,
)
from pgi.mentions import PAYMENT_TERMS_MAX_DAYS, payment_terms_limit_lazy
from pgi.permissions import Perm, Role, role_has_perm


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An email is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email; what they may do depends on their memberships."""

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("nom complet"), max_length=150, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(_("accès à l'administration"), default=False)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)
    # Set when the owner of the address followed the link emailed at sign-up (or accepted an
    # emailed invitation); until then the pages show a banner asking for it.
    email_verified_at = models.DateTimeField(_("e-mail vérifié le"), null=True, blank=True)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.full_name or self.email


class LegalForm(models.TextChoices):
    EI = "EI", _("Entreprise individuelle (EI, micro-entreprise)")
    EURL = "EURL", _("EURL")
    SARL = "SARL", _("SARL")
    SASU = "SASU", _("SASU")
    SAS = "SAS", _("SAS")
    SA = "SA", _("SA")
    SNC = "SNC", _("SNC")
    SCI = "SCI", _("SCI")
    ASSOCIATION = "ASSO", _("Association")
    OTHER = "AUTRE", _("Autre")


class VatRegime(models.TextChoices):
    NORMAL = "normal", _("TVA sur les encaissements (régime normal)")
    DEBITS = "debits", _("Option pour la TVA d'après les débits")
    FRANCHISE = "franchise", _("Franchise en base (art. 293 B du CGI)")


class Registry(models.TextChoices):
    RCS = "RCS", _("RCS (commerçant)")
    RNE = "RNE", _("RNE (artisan, depuis 2023)")
    RM = "RM", _("Répertoire des métiers")
    NONE = "", _("Aucune immatriculation")


colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Couleur attendue au format #RRGGBB."))


class Company(models.Model):
    """The tenant: every business row belongs to one company."""

    legal_name = models.CharField(_("dénomination sociale"), max_length=200)
    trade_name = models.CharField(_("nom commercial"), max_length=200, blank=True)
    legal_form = models.CharField(
        _("forme juridique"), max_length=8, choices=LegalForm, default=LegalForm.SAS
    )
    is_ei = models.BooleanField(
        _("entrepreneur individuel (mention « EI »)"),
        default=False,
        help_text=_("Affiche « EI » à côté du nom sur les documents (loi 2022-172)."),
    )
    share_capital = models.DecimalField(
        _("capital social (€)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    address_line1 = models.CharField(_("adresse"), max_length=200, blank=True)
    address_line2 = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    registry = models.CharField(
        _("immatriculation"), max_length=3, choices=Registry, default=Registry.RCS, blank=True
    )
    registry_city = models.CharField(
        _("ville du greffe / de la chambre"), max_length=100, blank=True
    )
    vat_number = models.CharField(
        _("n° de TVA intracommunautaire"),
        max_length=20,
        blank=True,
        validators=[validate_vat_number],
        help_text=_("Laissez vide pour le déduire du SIREN."),
    )
    vat_regime = models.CharField(
        _("régime de TVA"), max_length=10, choices=VatRegime, default=VatRegime.NORMAL
    )
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    email = models.EmailField(_("e-mail de contact"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    brand_color = models.CharField(
        _("couleur de marque"), max_length=7, default="#0d6efd", validators=[colour_validator]
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("délai de paiement par défaut (jours)"),
        default=30,
        validators=[MaxValueValidator(PAYMENT_TERMS_MAX_DAYS)],
        help_text=payment_terms_limit_lazy(),
    )
    late_penalty_rate = models.DecimalField(
        _("taux des pénalités de retard (% par an)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("12.15"),
        validators=[MinValueValidator(0)],
        help_text=_("Par défaut, taux BCE + 10 points (C. com. L441-10)."),
    )
    recovery_indemnity = models.DecimalField(
        _("indemnité forfaitaire de recouvrement (€)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("40.00"),
        validators=[MinValueValidator(40)],
        help_text=_("40 € au minimum entre professionnels (C. com. D441-5)."),
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("mois de début d'exercice"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("société")
        verbose_name_plural = _("sociétés")
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["siren"],
                condition=~Q(siren=""),
                name="company_siren_unique",
                violation_error_code="unique",  # reported on the SIREN field
                violation_error_message=_(
                    "Une société avec ce SIREN existe déjà : demandez à son gérant de vous inviter."
                ),
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.trade_name or self.legal_name


class Membership(models.Model):
    """A user's role in one company; a user may belong to several companies."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=12, choices=Role)
    created_at = models.DateTimeField(auto_now_add=True)
    # The first-run checklist of the dashboard, hidden by this member before it was complete.
    checklist_hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.company} ({self.get_role_display()})"

    def has_perm(self, perm: Perm) -> bool:
        return role_has_perm(self.role, perm)


class Invitation(models.Model):
    """An invitation sent by email; the link carries a signed token naming this row."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("rôle"), max_length=12, choices=Role)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.company}"


class ApiToken(models.Model):
    """A personal API token, bound to a membership; only its SHA-256 is stored."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nom"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_secret(secret: str) -> str:
        # The secret is 256 random bits: a plain SHA-256 is enough, no slow KDF needed.
        return hashlib.sha256(secret.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CompanyQuerySet(models.QuerySet):
    def for_company(self, company: Company):
        return self.filter(company=company)


class CompanyOwned(models.Model):
    """Base for every business row: it belongs to a company, and queries are scoped by it."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")

    objects = CompanyQuerySet.as_manager()

    class Meta:
        abstract = True


class EventKind(models.TextChoices):
    LOGIN = "connexion", _("Connexion")
    LOGIN_FAILED = "connexion_echec", _("Échec de connexion")
    EXPORT = "export", _("Export")
    CLOSURE = "cloture", _("Clôture")
    ARCHIVE = "archive", _("Archive")
    INTEGRITY = "integrite", _("Vérification d'intégrité")
    IDENTITY = "identite", _("Changement d'identité légale")
    ROLE = "role", _("Changement de rôle")
    INVITATION = "invitation", _("Invitation")
    API_TOKEN = "jeton_api", _("Jeton d'API")


EVENT_HEAD_IS_THE_LAST_EVENT_SQL = """
-- Deferred to commit: the head as it is then. Two branches, so that each uses the index on
-- (company_id, sequence): the chain of events tied to no company has company_id NULL.
IF NEW.company_id IS NULL THEN
    SELECT last_sequence, last_fingerprint INTO head
    FROM pgi_journalevenements WHERE company_id IS NULL;
    SELECT sequence, fingerprint INTO tail FROM pgi_evenement
    WHERE company_id IS NULL ORDER BY sequence DESC LIMIT 1;
ELSE
    SELECT last_sequence, last_fingerprint INTO head
    FROM pgi_journalevenements WHERE company_id = NEW.company_id;
    SELECT sequence, fingerprint INTO tail FROM pgi_evenement
    WHERE company_id = NEW.company_id ORDER BY sequence DESC LIMIT 1;
END IF;
IF head.last_sequence IS DISTINCT FROM COALESCE(tail.sequence, 0)
   OR (tail.sequence IS NOT NULL AND head.last_fingerprint IS DISTINCT FROM tail.fingerprint) THEN
    RAISE EXCEPTION 'events: the head of the log of company % must be its last event',
        NEW.company_id USING ERRCODE = 'restrict_violation';
END IF;
RETURN NULL;
"""


class JournalEvenements(models.Model):
    """The head of one chain of the technical event log: one per company, and one for the
    events tied to no company (`company` NULL: a failed login for an unknown e-mail).

    Locked by every append to its chain (`pgi.locks.lock_journal_head`), so two companies'
    events never wait on each other. Closures and archives record it, like the register's
    head, so that events deleted at the end of the log are found (issue #23).
    """

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_fingerprint = models.CharField(max_length=100, default="")

    class Meta:
        verbose_name = _("tête du journal des événements")
        constraints = [
            models.UniqueConstraint(
                fields=["company"], nulls_distinct=False, name="journal_evenements_unique"
            ),
        ]
        triggers = [
            # Only `pgi.events.event_record` moves a head, always onto the event it has just
            # appended: checked at commit, when both rows are written.
            pgtrigger.Trigger(
                name="journal_head_is_the_last_event",
                operation=pgtrigger.Update,
                when=pgtrigger.After,
                timing=pgtrigger.Deferred,
                condition=pgtrigger.AnyChange("last_sequence", "last_fingerprint"),
                func=EVENT_HEAD_IS_THE_LAST_EVENT_SQL,
                declare=[("head", "RECORD"), ("tail", "RECORD")],
            ),
            pgtrigger.Trigger(
                name="journal_new_head_is_the_last_event",
                operation=pgtrigger.Insert,
                when=pgtrigger.After,
                timing=pgtrigger.Deferred,
                func=EVENT_HEAD_IS_THE_LAST_EVENT_SQL,
                declare=[("head", "RECORD"), ("tail", "RECORD")],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id or '-'}: {self.last_sequence}"


class Evenement(models.Model):
    """An event of the technical event log (journal des événements): one HMAC chain per
    company, and one for the events tied to no company.

    Like the register, each event stores the exact bytes it was sealed on, the previous
    fingerprint and its own; PostgreSQL refuses any change. The page shows what the payload
    holds (time, kind, user, message and its parameters), never the columns, which only serve
    to find the rows and are checked against the payload. See `pgi.events`.
    """

    sequence = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=EventKind)
    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(max_length=300)
    payload = models.BinaryField()
    previous = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("événement")
        ordering = ["company", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "sequence"], nulls_distinct=False,
                name="evenement_sequence_unique",
            ),
        ]  # fmt: skip
        triggers = [
            pgtrigger.Protect(
                name="evenement_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind} {self.summary}"


# The inalterable register (registre, CGI art. 286-I-3° bis, BOI-TVA-DECLA-30-10-30): one
# append-only HMAC chain per company. Each issued invoice, credit note, payment, closure and
# archive is sealed as a record holding the canonical JSON of its whole fiscal content, the
# previous record's fingerprint and its own. PostgreSQL refuses any UPDATE or DELETE of a
# record. Sealing and verifying: `pgi.registre`.


class RecordKind(models.TextChoices):
    INVOICE = "facture", _("Facture émise")
    CREDIT_NOTE = "avoir", _("Avoir émis")
    DEPOSIT = "acompte", _("Facture d'acompte émise")
    PDF = "pdf", _("Empreinte du PDF")
    PAYMENT = "encaissement", _("Encaissement")
    PAYMENT_REVERSAL = "annulation", _("Annulation d'encaissement")
    CLOSURE = "cloture", _("Clôture")
    ARCHIVE = "archive", _("Archive")
    QUOTE_ACCEPTANCE = "accord_devis", _("Acceptation de devis")


HEAD_IS_THE_LAST_RECORD_SQL = """
-- Deferred to commit: the head as it is then (NEW is the row as of each change).
SELECT last_sequence, last_fingerprint INTO head
FROM comptabilite_registre WHERE company_id = NEW.company_id;
IF (head.last_sequence = 0 AND EXISTS (
        SELECT 1 FROM comptabilite_enregistrement e WHERE e.company_id = NEW.company_id
    )) OR (head.last_sequence > 0 AND NOT EXISTS (
        SELECT 1 FROM comptabilite_enregistrement e
        WHERE e.company_id = NEW.company_id AND e.sequence = head.last_sequence
          AND e.fingerprint = head.last_fingerprint
    )) OR EXISTS (
        SELECT 1 FROM comptabilite_enregistrement e
        WHERE e.company_id = NEW.company_id AND e.sequence > head.last_sequence
    ) THEN
    RAISE EXCEPTION 'registre: the head of company % must be its last sealed record',
        NEW.company_id USING ERRCODE = 'restrict_violation';
END IF;
RETURN NULL;
"""


class Registre(models.Model):
    """The head of a company's chain: locked by every append, so appends are serialised.

    It also keeps the end of the last closure: nothing may be dated up to it (CGI art.
    286-I-3° bis), checked under this lock, which closures take too.
    """

    company = models.OneToOneField(Company, on_delete=models.PROTECT, primary_key=True)
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_fingerprint = models.CharField(max_length=100, default="")
    closed_until = models.DateField(null=True, blank=True)
    closure_reference = models.CharField(max_length=80, blank=True, default="")

    class Meta:
        db_table = "comptabilite_registre"  # the register's table since its first day
        verbose_name = _("registre inaltérable")
        triggers = [
            # Only `pgi.registre.seal` moves the head, and always onto the record it has just
            # sealed: checked at commit, when both rows are written (issue #23).
            pgtrigger.Trigger(
                name="registre_head_is_the_last_record",
                operation=pgtrigger.Update,
                when=pgtrigger.After,
                timing=pgtrigger.Deferred,
                # Not for the head lock's no-op update: only when the head moves.
                condition=pgtrigger.AnyChange("last_sequence", "last_fingerprint"),
                func=HEAD_IS_THE_LAST_RECORD_SQL,
                declare=[("head", "RECORD")],
            ),
            pgtrigger.Trigger(
                name="registre_new_head_is_the_last_record",
                operation=pgtrigger.Insert,
                when=pgtrigger.After,
                timing=pgtrigger.Deferred,
                func=HEAD_IS_THE_LAST_RECORD_SQL,
                declare=[("head", "RECORD")],
            ),
        ]

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
        db_table = "comptabilite_enregistrement"
        verbose_name = _("enregistrement du registre")
        ordering = ["company", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "sequence"], name="registre_sequence_unique"
            ),
        ]
        indexes = [
            models.Index(
                fields=["company", "kind", "reference"], name="comptabilit_company_ea8807_idx"
            )
        ]
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


# --- Numbering: the gapless series of every app (see pgi.numbering) -----------------------
# The tables keep the names they had in `facturation`, where these models were born.


# A counter is born either by the first number it gives (first 1, next 2) or, before any
# number of its period, at the number where a series continues from another tool (first N,
# next N: `pgi.numbering.numerotation_reprendre`); its first number never changes after.
COUNTER_ONE_AT_A_TIME_SQL = """
IF TG_OP = 'DELETE'
   OR (TG_OP = 'INSERT' AND NOT (
       (NEW.first_number = 1 AND NEW.next_number IN (1, 2))
       OR (NEW.first_number > 1 AND NEW.next_number = NEW.first_number)
   ))
   OR (TG_OP = 'UPDATE' AND (
       NEW.next_number NOT IN (OLD.next_number, OLD.next_number + 1)
       OR (NEW.company_id, NEW.kind, NEW.period, NEW.first_number) IS DISTINCT FROM
          (OLD.company_id, OLD.kind, OLD.period, OLD.first_number)
   )) THEN
    RAISE EXCEPTION 'numbering: a counter only moves to its next number'
        USING ERRCODE = 'restrict_violation';
END IF;
RETURN NEW;
"""


class NumberingSeries(models.Model):
    """One gapless counter per company, series and period (CGI art. 242 nonies A).

    The row is locked by the issuing transaction (`pgi.numbering.numero_attribuer`); a
    rolled-back issue releases its number, so the series never has a gap nor a duplicate.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    series = models.CharField(max_length=20, db_column="kind")
    period = models.CharField(max_length=6, blank=True, help_text="YYYY or YYYYMM: a new series")
    next_number = models.PositiveIntegerField(default=1)
    # Where the series started in this period: 1, or the number the owner continued at
    # (the documents before it were numbered in another tool).
    first_number = models.PositiveIntegerField(default=1, db_default=1)

    class Meta:
        db_table = "facturation_numberingseries"
        verbose_name = _("série de numérotation")
        constraints = [
            models.UniqueConstraint(fields=["company", "series", "period"], name="series_unique"),
        ]
        triggers = [
            # A counter moves one number at a time and is never removed: a jump would leave a
            # gap in the series (CGI art. 242 nonies A), a reset would reuse numbers.
            pgtrigger.Trigger(
                name="numbering_counter_one_at_a_time",
                operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
                func=COUNTER_ONE_AT_A_TIME_SQL,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_id}/{self.series}/{self.period}: {self.next_number}"


class NumberingFormat(models.Model):
    """The owner's choice of number format for a series; the series' default when absent."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    series = models.CharField(max_length=20, db_column="kind")
    pattern = models.CharField(
        _("format"), max_length=60,
        help_text=_("Variables : {annee}, {mois}, {numero} (ex. {numero:05d})."),
    )  # fmt: skip

    class Meta:
        db_table = "facturation_numberingformat"
        constraints = [
            models.UniqueConstraint(fields=["company", "series"], name="numbering_format_unique")
        ]

    def __str__(self) -> str:
        return self.pattern


class FamilleActivite(models.TextChoices):
    """What a customer's activity feed can be filtered on."""

    OPPORTUNITE = "opportunite", _("Opportunités")
    DEVIS = "devis", _("Devis")
    FACTURE = "facture", _("Factures")
    PAIEMENT = "paiement", _("Paiements")
    RELANCE = "relance", _("Relances")
    LITIGE = "litige", _("Litiges et promesses")
    ACTIVITE = "activite", _("Activités et notes")


class FilActivite(CompanyOwned):
    """One line of a customer's activity feed (not the technical event log): written by the
    app that acts, in the transaction of the action (`pgi.activite`), never changed after.

    `client_id` is the customer (crm, above the kernel: a plain column, no foreign key);
    `objet_type`/`objet_id` name the document the line is about, so a document's own history
    is the same table read by another index. The text is French source text with %(name)s
    placeholders, translated at display time like the event log's; a parameter given as
    {"t": "French source text"} is translated too (a state's label)."""

    client_id = models.BigIntegerField(_("client"))
    at = models.DateTimeField(_("le"), default=timezone.now)
    famille = models.CharField(_("type"), max_length=12, choices=FamilleActivite)
    summary = models.CharField(max_length=300)
    params = models.JSONField(default=dict, blank=True)
    icon = models.CharField(max_length=40, blank=True)
    url = models.CharField(max_length=300, blank=True)
    reference = models.CharField(max_length=60, blank=True)  # the document's number, shown
    objet_type = models.CharField(max_length=30, blank=True)
    objet_id = models.BigIntegerField(null=True, blank=True)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("fil d'activité")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["company", "client_id", "-at", "-id"], name="fil_client_at"),
            models.Index(fields=["objet_type", "objet_id", "at"], name="fil_objet"),
        ]

    def __str__(self) -> str:
        return self.summary


class EtatNotification(models.TextChoices):
    PENDING = "pending", _("à envoyer")
    SENDING = "sending", _("en cours d'envoi")
    SENT = "sent", _("envoyée")
    FAILED = "failed", _("non envoyée")


class Notification(models.Model):
    """An email to the company's team ("a customer disputes an invoice"...), recorded in the
    transaction of what it tells (pgi.notifications), sent once after commit."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=500, blank=True)  # a path of the app, made absolute
    perm = models.CharField(max_length=30, default=Perm.COMMERCIAL_WRITE)
    state = models.CharField(
        max_length=8, choices=EtatNotification, default=EtatNotification.PENDING
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="notification_pending",
                condition=Q(state__in=["pending", "sending"]),
            )  # fmt: skip
        ]

    def __str__(self) -> str:
        return self.subject
