"""The sales funnel's demo data (`seed_demo`): the default stages, about twenty deals across
them (some won, some lost), calls, notes and tasks due today or late, all written through
the services, so the customers' activity feeds fill as in real use."""

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from crm import services
from crm.models import Client, Opportunite, OpportuniteStatut
from pgi.models import Company, User

TITLES = [
    "Refonte de l'éclairage du magasin", "Luminaires pour la salle de restaurant",
    "Lampes de chevet pour 12 chambres", "Mise en lumière de la vitrine",
    "Appliques pour le hall d'accueil", "Rénovation LED de l'atelier", "Suspensions sur mesure",
    "Éclairage de la terrasse", "Contrat d'entretien annuel", "Lampadaires pour le jardin",
]  # fmt: skip
STAGES = ["Nouveau", "Nouveau", "Qualifié", "Qualifié", "Qualifié", "Proposition", "Proposition",
          "Proposition", "Négociation", "Négociation"]  # fmt: skip


def pipeline_demo(*, company: Company, owner: User, seed: int, count: int = 20) -> None:
    """Creates the demo funnel once (nothing when the company has deals already)."""
    if Opportunite.objects.for_company(company).exists():
        return
    rng = random.Random(300 + seed)
    stages = {s.name: s for s in services.etapes_par_defaut(company=company)}
    clients = list(Client.objects.for_company(company).order_by("pk"))
    today = timezone.localdate()
    deals = []
    for index in range(count):
        deal = services.opportunite_creer(
            company=company, user=owner,
            fields={
                "title": TITLES[index % len(TITLES)], "client": rng.choice(clients),
                "amount": Decimal(rng.randrange(8, 240) * 50),
                "expected_close_date": today + timedelta(days=rng.randrange(5, 150)),
                "owner": owner, "etape": stages[STAGES[index % len(STAGES)]],
                "next_action": rng.choice(["Rappeler", "Envoyer le devis", "Rendez-vous"]),
                "next_action_date": today + timedelta(days=rng.randrange(0, 10)),
            },
        )  # fmt: skip
        deals.append(deal)
    # A few deals closed, weeks after they started (the statistics need a history).
    for deal in deals[::4]:
        Opportunite.objects.filter(pk=deal.pk).update(
            created_at=timezone.now() - timedelta(days=rng.randrange(20, 90))
        )
        deal.refresh_from_db()
        services.opportunite_deplacer(opportunite=deal, etape=stages["Proposition"], user=owner)
        services.opportunite_gagner(opportunite=deal, user=owner)
    for deal in deals[2::7]:
        if deal.status == OpportuniteStatut.OPEN:
            services.opportunite_perdre(opportunite=deal, reason="Budget reporté", user=owner)
    for index, deal in enumerate(deals[:8]):
        kind = ["appel", "email", "rdv", "note"][index % 4]
        services.activite_creer(company=company, user=owner, fields={
            "kind": kind, "subject": f"{deal.title} : point d'avancement", "client": deal.client,
            "opportunite": deal, "body": "Le client attend une proposition chiffrée.",
        })  # fmt: skip
    for index, deal in enumerate(deals[1:7]):
        services.activite_creer(company=company, user=owner, fields={
            "kind": "tache", "subject": f"Relancer {deal.client.name}", "client": deal.client,
            "opportunite": deal, "due_date": today + timedelta(days=index - 2),
            "assignee": owner,
        })  # fmt: skip
