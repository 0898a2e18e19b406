"""Idempotent demo data: two companies, an owner and an accountant, a few dozen customers."""

import random
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify  # an e-mail address is ASCII: Léa → lea
from stdnum import luhn
from stdnum.fr import siren as fr_siren

from comptabilite.models import ClotureKind
from comptabilite.services import cloture_effectuer
from crm.demo import pipeline_demo
from crm.models import Client, ClientKind, ClientStatus
from crm.services import client_creer, contact_creer
from encaissement.services import Allocation, paiement_annuler, paiement_enregistrer
from facturation.models import Article, Facture
from facturation.selectors import with_amount_due
from facturation.services import (
    acompte_creer,
    article_enregistrer,
    avoir_creer,
    facture_creer,
    facture_deduire_acomptes,
    facture_emettre,
)
from pgi.lignes import with_article_defaults
from pgi.models import Company, Membership, User
from pgi.money import cents
from pgi.permissions import Role

DEMO_PASSWORD = "demo-encaisse"
OWNER_EMAIL = "gerant@demo.encaisse.fr"
ACCOUNTANT_EMAIL = "compta@demo.encaisse.fr"

COMPANIES = [
    {
        "siren": "552081317",
        "legal_name": "Atelier Lumière SARL",
        "trade_name": "Atelier Lumière",
        "legal_form": "SARL",
        "share_capital": Decimal("10000.00"),
        "address_line1": "12 rue des Artisans",
        "postal_code": "69003",
        "city": "Lyon",
        "siret": "55208131700018",
        "registry": "RCS",
        "registry_city": "Lyon",
        "vat_number": "FR03552081317",
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP",
        "email": "contact@atelier-lumiere.example",
        "brand_color": "#c2410c",
    },
    {
        "siren": "443061841",
        "legal_name": "Claire Martin",
        "trade_name": "Claire Martin Conseil",
        "legal_form": "EI",
        "is_ei": True,
        "address_line1": "3 place du Marché",
        "postal_code": "33000",
        "city": "Bordeaux",
        "registry": "",
        "vat_regime": "franchise",
        "vat_number": "",
        "email": "claire@martin-conseil.example",
        "brand_color": "#0f766e",
    },
]

NAMES = [
    "Boulangerie Dupont", "Garage des Lilas", "Cabinet Moreau", "Hôtel du Parc", "Fleurs & Co",
    "Menuiserie Bernard", "Pharmacie Centrale", "Librairie Le Chapitre", "Restaurant Chez Paul",
    "Transports Lefèvre", "Imprimerie Rapide", "Salon Élégance", "Brasserie du Port",
    "Architectes Associés", "Plomberie Girard", "Optique Vision", "Studio Graphique Nova",
    "Ferme des Trois Chênes", "Cave Saint-Vincent", "Auto-École Mistral",
    "Clinique Vétérinaire Azur",
    "Épicerie Fine Rousseau", "Électricité Faure", "Agence Horizon", "Pressing Net",
    "Toiture Blanc", "Bureau d'études Sigma", "Café des Arts", "Papeterie Morel", "Jardins Roux",
]  # fmt: skip
PEOPLE = ["Julie Petit", "Marc Durand", "Sophie Laurent", "Nicolas Simon", "Camille Michel",
          "Thomas Garcia", "Léa David", "Hugo Bertrand"]  # fmt: skip
CITIES = [("75011", "Paris"), ("69002", "Lyon"), ("13001", "Marseille"), ("31000", "Toulouse"),
          ("44000", "Nantes"), ("67000", "Strasbourg"), ("59000", "Lille"),
          ("33000", "Bordeaux")]  # fmt: skip


def fake_siren(rng: random.Random) -> str:
    body = f"{rng.randrange(10_000_000, 99_999_999)}"
    return body + luhn.calc_check_digit(body)


def fake_siret(siren: str) -> str:
    body = siren + "0001"
    return body + luhn.calc_check_digit(body)


CATALOGUES = [
    [  # Atelier Lumière: goods and services at several VAT rates
        ("Conception d'un luminaire sur mesure", "850", "20.00", "service", "forfait"),
        ("Lampe de bureau laiton", "129", "20.00", "bien", "unité"),
        ("Heure d'atelier", "65", "20.00", "service", "heure"),
        ("Pose et raccordement chez un particulier", "90", "10.00", "service", "heure"),
        ("Rénovation énergétique : ampoules LED", "12.50", "5.50", "bien", "unité"),
        ("Livre « Lumières d'atelier »", "32", "5.50", "bien", "unité"),
    ],
    [  # Claire Martin Conseil: VAT franchise, everything at 0 %
        ("Demi-journée de conseil", "350", "0.00", "service", "forfait"),
        ("Heure de coaching", "80", "0.00", "service", "heure"),
    ],
]


class Command(BaseCommand):
    help = "Crée (ou complète) les données de démonstration ; relancer ne duplique rien."

    @transaction.atomic
    def handle(self, *args, **options):
        owner = self._user(OWNER_EMAIL, "Gérard Demo")
        accountant = self._user(ACCOUNTANT_EMAIL, "Corinne Compta")
        for index, data in enumerate(COMPANIES):
            data = dict(data)
            company, _created = Company.objects.get_or_create(
                siren=data.pop("siren"), defaults=data
            )
            Membership.objects.get_or_create(
                user=owner, company=company, defaults={"role": Role.OWNER}
            )
            Membership.objects.get_or_create(
                user=accountant, company=company, defaults={"role": Role.ACCOUNTANT}
            )
            self._customers(company, seed=index, count=36 if index == 0 else 12)
            self._catalogue(company, index)
            self._activity(company, owner, seed=index, count=60 if index == 0 else 15)
            pipeline_demo(company=company, owner=owner, seed=index, count=20 if index == 0 else 6)
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))

    def _catalogue(self, company: Company, index: int) -> None:
        if Article.objects.for_company(company).exists():
            return
        for designation, price, rate, nature, unit in CATALOGUES[index]:
            article_enregistrer(
                company=company, article=None,
                fields={"designation": designation, "unit_price": Decimal(price),
                        "vat_rate": Decimal(rate), "nature": nature, "unit": unit},
            )  # fmt: skip

    def _activity(self, company: Company, owner: User, *, seed: int, count: int) -> None:
        """A year of issued invoices, in date order, and a few credit notes."""
        if Facture.objects.for_company(company).exists():
            return
        rng = random.Random(100 + seed)
        articles = list(Article.objects.for_company(company))
        customers = list(Client.objects.for_company(company).filter(status=ClientStatus.CUSTOMER))
        today = timezone.localdate()
        start = today - timedelta(days=365)
        days = sorted(start + timedelta(days=rng.randrange(0, 360)) for _ in range(count))
        issued = []
        for number, day in enumerate(days):
            lines = [
                with_article_defaults(
                    {"article": a, "quantity": Decimal(rng.choice([1, 1, 2, 3, 5])),
                     "discount_rate": Decimal(rng.choice([0, 0, 0, 5, 10]))},
                    a,
                )
                for a in rng.sample(articles, k=min(len(articles), rng.randint(1, 3)))
            ]  # fmt: skip
            draft = facture_creer(
                company=company, client=rng.choice(customers), user=owner, lines=lines,
                fields={"subject": f"Commande n° {1000 + number}", "operation_date": day},
            )  # fmt: skip
            issued.append(facture_emettre(facture=draft, user=owner, today=day))
        for invoice in issued[3::17]:
            avoir = avoir_creer(facture=invoice, user=owner, reason="Geste commercial")
            facture_emettre(facture=avoir, user=owner, today=invoice.issue_date + timedelta(days=5))
        self._payments(company, owner, issued, rng=rng, today=today)
        # The first month of activity is closed (its totals and grand total are sealed).
        first_month = issued[0].issue_date.replace(day=1)
        cloture_effectuer(
            company=company, kind=ClotureKind.MONTHLY, period_start=first_month, user=owner
        )
        # A 30 % deposit invoiced a few weeks ago, deducted on its final invoice.
        if company.vat_regime != "franchise":
            client = customers[0]
            final = facture_creer(
                company=company, client=client, user=owner, lines=lines,
                fields={"subject": "Projet d'éclairage du showroom"},
            )  # fmt: skip
            deposit = acompte_creer(
                company=company, client=client, user=owner, facture=final, percent=Decimal("30")
            )
            facture_emettre(facture=deposit, user=owner, today=today - timedelta(days=20))
            facture_deduire_acomptes(facture=final, deposits=[deposit])
            facture_emettre(facture=final, user=owner, today=today - timedelta(days=2))
        # Two drafts waiting to be issued
        for client in customers[:2]:
            facture_creer(
                company=company, client=client, user=owner,
                lines=[{"designation": articles[0].designation, "quantity": Decimal("1"),
                        "unit_price": articles[0].unit_price, "vat_rate": articles[0].vat_rate,
                        "nature": articles[0].nature}],
            )  # fmt: skip

    def _payments(self, company, owner, issued, *, rng: random.Random, today) -> None:
        """Most invoices paid (some late, some in part), the last weeks' still due, a bounced
        cheque reversed, and a payment left as the customer's credit; in date order."""
        due = {f.pk: f.amount_due for f in with_amount_due(Facture.objects.filter(
            pk__in=[f.pk for f in issued]))}  # fmt: skip
        planned = []
        for invoice in issued:
            day = invoice.issue_date + timedelta(days=rng.choice([3, 12, 25, 40, 75]))
            if day > today or due[invoice.pk] <= 0 or rng.random() < 0.12:
                continue  # not paid yet: due, or overdue
            amount = due[invoice.pk]
            if rng.random() < 0.1:
                amount = cents(amount / 2)  # paid in part
            method = rng.choice(["virement", "virement", "virement", "cheque", "carte"])
            planned.append((day, invoice, amount, method))
        planned.sort(key=lambda p: (p[0], p[1].pk))
        recorded = [
            paiement_enregistrer(
                company=company,
                user=owner,
                client=invoice.client,
                day=day,
                amount=amount,
                method=method,
                payer=invoice.client.name,
                reference=f"VIR {invoice.number}" if method == "virement" else "",
                allocations=[Allocation(invoice.pk, amount)],
            )  # fmt: skip
            for day, invoice, amount, method in planned
        ]
        cheques = [p for p in recorded if p.method == "cheque"]
        if cheques:
            bounced = cheques[-1]
            paiement_annuler(paiement=bounced, user=owner, reason="Chèque impayé",
                             day=min(today, bounced.date + timedelta(days=6)))  # fmt: skip
        if issued:
            client = issued[-1].client
            paiement_enregistrer(
                company=company, user=owner, client=client, day=today, amount=Decimal("150"),
                method="virement", payer=client.name, reference="VIR ACOMPTE SANS FACTURE",
            )  # fmt: skip

    def _user(self, email: str, full_name: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name)
        return user

    def _customers(self, company: Company, *, seed: int, count: int) -> None:
        if Client.objects.for_company(company).exists():
            return
        rng = random.Random(seed)
        for i in range(count):
            individual = i % 7 == 6
            postal_code, city = rng.choice(CITIES)
            name = rng.choice(PEOPLE) if individual else NAMES[i % len(NAMES)]
            siren = "" if individual else fake_siren(rng)
            client = client_creer(
                company=company,
                fields={
                    "kind": ClientKind.INDIVIDUAL if individual else ClientKind.COMPANY,
                    "status": ClientStatus.CUSTOMER if i % 3 else ClientStatus.PROSPECT,
                    "name": name if i < len(NAMES) else f"{name} ({city})",
                    "siren": siren,
                    "siret": fake_siret(siren) if siren else "",
                    "vat_number": "FR" + fr_siren.to_tva(siren) if siren else "",
                    "email": f"contact{i}@client.example",
                    "phone": "01 " + " ".join(str(rng.randrange(10, 99)) for _ in range(4)),
                    "billing_line1": f"{rng.randrange(1, 120)} avenue de la République",
                    "billing_postal_code": postal_code,
                    "billing_city": city,
                },
            )
            if not individual:
                first, last = rng.choice(PEOPLE).split()
                contact_creer(
                    client=client,
                    fields={
                        "first_name": first, "last_name": last,
                        "email": f"{slugify(first)}@client{i}.example", "is_primary": True,
                        "job_title": "Gérant" if i % 2 else "Comptable",
                    },
                )  # fmt: skip
