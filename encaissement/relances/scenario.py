"""The default scenario, and the templates of the reminders with their variables.

A template is French text with `{variable}` placeholders, from the list `VARIABLES` only:
a user-edited template never reaches Django's template engine (no tag, no attribute lookup).
"""

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from encaissement.models import Canal, NatureNiveau, NiveauRelance, ScenarioRelance
from pgi.exceptions import DomainError
from pgi.models import Company

VARIABLES = {
    "client": _("nom du client"),
    "numero": _("numéro de la facture"),
    "date_emission": _("date de la facture"),
    "montant_ttc": _("montant TTC de la facture"),
    "montant_du": _("reste dû"),
    "echeance": _("date d'échéance"),
    "jours_retard": _("jours de retard"),
    "penalites": _("pénalités de retard à ce jour"),
    "indemnite": _("indemnité forfaitaire de recouvrement"),
    "total_reclame": _("reste dû + pénalités + indemnité"),
    "taux_penalites": _("taux annuel des pénalités"),
    "lien_paiement": _("lien de paiement"),
    "societe": _("nom de votre société"),
    "contact": _("vos coordonnées (e-mail, téléphone)"),
}
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

SIGNATURE = "\n\nCordialement,\n{societe}\n{contact}"


@dataclass(frozen=True)
class NiveauType:
    name: str
    nature: str
    delay_days: int
    channel: str
    subject: str
    body: str


DEFAULT_LEVELS = [
    NiveauType(
        "Rappel avant échéance", NatureNiveau.COURTOISIE, -3, Canal.EMAIL,
        "Rappel : facture {numero} à régler le {echeance}",
        "Bonjour,\n\nPour mémoire, la facture {numero} du {date_emission}, d'un montant de "
        "{montant_du}, arrive à échéance le {echeance}.\n\nVous pouvez la consulter et la "
        "régler en ligne : {lien_paiement}\n\nSi le règlement est déjà parti, merci de ne pas "
        "tenir compte de ce message." + SIGNATURE,
    ),
    NiveauType(
        "Première relance", NatureNiveau.RELANCE, 7, Canal.EMAIL,
        "Facture {numero} : règlement en attente",
        "Bonjour,\n\nSauf erreur de notre part, la facture {numero} du {date_emission}, échue "
        "le {echeance}, reste impayée : {montant_du} restent dus.\n\nVous pouvez la régler en "
        "ligne : {lien_paiement}\n\nSi vous avez réglé entre-temps, merci de ne pas tenir "
        "compte de ce message." + SIGNATURE,
    ),
    NiveauType(
        "Deuxième relance", NatureNiveau.RELANCE, 21, Canal.EMAIL,
        "Facture {numero} : {jours_retard} jours de retard",
        "Bonjour,\n\nMalgré notre précédent message, la facture {numero}, échue le {echeance}, "
        "n'est toujours pas réglée ({montant_du} restent dus, {jours_retard} jours de retard)."
        "\n\nMerci de procéder au règlement dès réception : {lien_paiement}\n\nEn cas de "
        "difficulté, répondez simplement à ce message." + SIGNATURE,
    ),
    NiveauType(
        "Relance avec pénalités", NatureNiveau.PENALITES, 35, Canal.EMAIL,
        "Facture {numero} impayée : pénalités de retard",
        "Bonjour,\n\nLa facture {numero}, échue le {echeance}, reste impayée après "
        "{jours_retard} jours. Conformément à l'article L441-10 du Code de commerce et à nos "
        "conditions de paiement, elle porte des pénalités de retard au taux annuel de "
        "{taux_penalites}.\n\nReste dû : {montant_du}\nPénalités de retard à ce jour : "
        "{penalites}\nIndemnité forfaitaire de recouvrement : {indemnite}\nTotal : "
        "{total_reclame}\n\nRèglement en ligne : {lien_paiement}" + SIGNATURE,
    ),
    NiveauType(
        "Mise en demeure", NatureNiveau.MISE_EN_DEMEURE, 50, Canal.LETTRE,
        "Mise en demeure de payer — facture {numero}",
        "Madame, Monsieur,\n\nMalgré nos relances, la facture {numero} du {date_emission}, "
        "échue le {echeance}, demeure impayée.\n\nPar la présente, nous vous mettons en "
        "demeure, au sens de l'article 1344 du Code civil, de nous régler sous huit jours à "
        "compter de la réception de cette lettre la somme de {total_reclame}, soit :\n"
        "- reste dû sur la facture : {montant_du} ;\n- pénalités de retard arrêtées à ce jour "
        "(taux annuel {taux_penalites}) : {penalites} ;\n- indemnité forfaitaire de "
        "recouvrement (art. L441-10 et D441-5 du Code de commerce) : {indemnite}.\n\nÀ défaut, "
        "nous engagerons sans autre avis la procédure de recouvrement (injonction de payer)."
        "\n\nRèglement en ligne : {lien_paiement}\n\nVeuillez agréer, Madame, Monsieur, "
        "l'expression de nos salutations distinguées.\n\n{societe}\n{contact}",
    ),
    NiveauType(
        "À recouvrer", NatureNiveau.RECOUVREMENT, 60, Canal.AUCUN, "", "",
    ),
]  # fmt: skip


def unknown_variables(text: str) -> list[str]:
    return sorted({name for name in PLACEHOLDER.findall(text) if name not in VARIABLES})


def render_template(text: str, values: dict[str, str]) -> str:
    """Replaces each known `{variable}`; anything else is left as typed."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _levels(company: Company, scenario: ScenarioRelance, levels=None) -> list[NiveauRelance]:
    """`levels` (by default `DEFAULT_LEVELS`; or another scenario's rows) as rows of
    `scenario`, unsaved."""
    return [
        NiveauRelance(
            company=company,
            scenario=scenario,
            position=index,
            name=level.name,
            nature=level.nature,
            delay_days=level.delay_days,
            channel=level.channel,
            subject=level.subject,
            body=level.body,
        )  # fmt: skip
        for index, level in enumerate(levels or DEFAULT_LEVELS, start=1)
    ]


def default_levels(company: Company) -> list[NiveauRelance]:
    """The levels of the default scenario, unsaved (what is shown before it is created)."""
    scenario = ScenarioRelance(company=company, name=str(_("Scénario standard")), is_default=True)
    return _levels(company, scenario)


@transaction.atomic
def scenario_defaut_assurer(*, company: Company) -> ScenarioRelance:
    """The company's default scenario, created from `DEFAULT_LEVELS` the first time."""
    Company.objects.select_for_update().filter(pk=company.pk).values_list("pk").first()
    scenario = ScenarioRelance.objects.filter(company=company, is_default=True).first()
    if scenario is not None:
        return scenario
    scenario = ScenarioRelance.objects.create(
        company=company, name=str(_("Scénario standard")), is_default=True
    )
    NiveauRelance.objects.bulk_create(_levels(company, scenario))
    return scenario


@transaction.atomic
def scenario_creer(*, company: Company, name: str) -> ScenarioRelance:
    """Another scenario ("Collectivités : relances espacées"…), a copy of the default's
    levels and penalty mode to adjust, for the customers given it on their page."""
    name = name.strip()
    if not name:
        raise DomainError(gettext("Donnez un nom au scénario."))
    if ScenarioRelance.objects.filter(company=company, name__iexact=name).exists():
        raise DomainError(gettext("Un scénario porte déjà ce nom."))
    default = scenario_defaut_assurer(company=company)
    scenario = ScenarioRelance.objects.create(
        company=company, name=name[:100], is_default=False, penalty_mode=default.penalty_mode
    )
    NiveauRelance.objects.bulk_create(
        _levels(company, scenario, list(default.niveaux.order_by("position")))
    )
    return scenario
