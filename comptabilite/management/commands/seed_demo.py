"""Idempotent demo data: two companies, an owner and an accountant, a few dozen customers."""

import random
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify  # an e-mail address is ASCII: Léa → lea
from stdnum import luhn
from stdnum.fr import siren as fr_siren

from comptabilite.livres.services import ecritures_comptabiliser
from comptabilite.models import ClotureKind
from comptabilite.services import cloture_effectuer
from crm.demo import pipeline_demo
from crm.models import Client, ClientKind, ClientStatus
from crm.services import client_creer, contact_creer
from encaissement.relances.services import litige_ouvrir, promesse_enregistrer, relances_executer
from encaissement.releves.demo import camt053
from encaissement.releves.services import (
    compte_initial,
    reglages_enregistrer,
    releve_deposer,
    releve_importer,
)
from encaissement.services import Allocation, paiement_annuler, paiement_enregistrer
from facturation.models import (
    Article,
    ConnexionPlateforme,
    Facture,
    FactureRecue,
    Flux,
    Kind,
    Status,
)
from facturation.plateforme.client import LifecycleStatus
from facturation.plateforme.models import EtatFlux, TypeFlux
from facturation.plateforme.reception import recue_refuser
from facturation.plateforme.services import connexion_enregistrer, is_e_invoiced, statut_enregistrer
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
            self._quotes(company, owner)
            if index == 0:
                self._plateforme(company)
            # Entries are posted when documents are issued; this posts those of a demo made
            # before the books existed (idempotent).
            ecritures_comptabiliser(company=company)
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
        self._bank_and_dunning(company, owner, today=today)
        # Two drafts waiting to be issued
        for client in customers[:2]:
            facture_creer(
                company=company, client=client, user=owner,
                lines=[{"designation": articles[0].designation, "quantity": Decimal("1"),
                        "unit_price": articles[0].unit_price, "vat_rate": articles[0].vat_rate,
                        "nature": articles[0].nature}],
            )  # fmt: skip

    def _quotes(self, company: Company, owner: User) -> None:
        """Quotes in every state, with their PDFs: draft, sent, viewed, accepted (and its
        signed copy), refused, expired, invoiced (a 30 % deposit, then the final invoice)."""
        from crm.models import Opportunite, OpportuniteStatut
        from devis import services as devis
        from devis.delivery import acceptation_pdf_generer
        from devis.models import Devis, EnvoiDevis
        from pgi.models import EtatNotification, Notification

        if Devis.objects.for_company(company).exists():
            return
        today = timezone.localdate()
        now = timezone.now()
        customers = list(Client.objects.for_company(company).exclude(email="").order_by("pk")[:7])
        articles = list(Article.objects.for_company(company).order_by("pk"))
        devis.parametres_devis_enregistrer(company=company, fields={
            "payment_terms": "30 % d'acompte à la commande, le solde à la livraison, par virement.",
            "execution_terms": "Réalisation dans nos ateliers, pose sur site aux heures ouvrables.",
            "after_sales_terms": "Réclamations par écrit sous 8 jours ; garantie légale de "
                                 "conformité de 2 ans sur les fournitures.",
            "price_revision_terms": "Prix fermes pendant la durée de validité du devis.",
            "cgv": "Nos conditions générales de vente s'appliquent à toute commande ; "
                   "la commande est ferme à l'acceptation du devis.",
        })  # fmt: skip
        lines = [with_article_defaults({"article": a, "quantity": Decimal(q)}, a)
                 for a, q in zip(articles[:3], ("1", "2", "4"), strict=False)]  # fmt: skip
        lines.append({"designation": "Déplacement", "quantity": Decimal("1"), "unit": "forfait",
                      "unit_price": Decimal("45"), "category": "deplacement",
                      "vat_rate": articles[0].vat_rate, "nature": "service",
                      "vat_exemption_reason": articles[0].vat_exemption_reason})  # fmt: skip
        option = with_article_defaults({"article": articles[-1], "quantity": Decimal("2"),
                                        "optional": True}, articles[-1])  # fmt: skip
        fields = {"start_date": today + timedelta(days=21), "duration": "2 semaines",
                  "deposit_percent": Decimal("30")}  # fmt: skip

        def sent(client, subject, days_ago, opportunite=None):
            quote = devis.devis_creer(
                company=company, client=client, user=owner,
                fields={**fields, "subject": subject}, lines=[*lines, option],
                opportunite=opportunite,
            )  # fmt: skip
            devis.devis_envoyer(
                devis=quote, user=owner, recipients=[client.email], subject=f"Devis — {subject}",
                body="Bonjour, veuillez trouver notre devis.",
                today=today - timedelta(days=days_ago),
            )  # fmt: skip
            return devis.devis_pdf_generer(devis_id=quote.pk)

        def accepted(client, subject, days_ago):
            quote = sent(client, subject, days_ago)
            devis.devis_accepter(
                devis=quote, name=client.name, consent=True, options=[len(lines) + 1],
                pdf_sha256=quote.pdf_sha256, ip="203.0.113.10", user_agent="Démo",
                now=now - timedelta(days=days_ago - 2),
            )  # fmt: skip
            acceptation_pdf_generer(acceptation_id=quote.acceptation.pk)
            return quote

        devis.devis_creer(company=company, client=customers[0], user=owner,
                          fields={**fields, "subject": "Éclairage de la terrasse"},
                          lines=lines)  # fmt: skip
        sent(customers[1], "Rénovation de la vitrine", 3)
        # A quote made from a deal of the funnel (its page links both ways).
        deal = (
            Opportunite.objects.for_company(company)
            .filter(status=OpportuniteStatut.OPEN, client__in=customers)
            .order_by("pk")
            .first()
        )
        if deal is not None:
            sent(deal.client, deal.title, 2, opportunite=deal)
        devis.devis_marquer_vu(devis=sent(customers[2], "Luminaires du restaurant", 6))
        accepted(customers[3], "Éclairage de l'accueil", 10)
        devis.devis_refuser(devis=sent(customers[4], "Lustres de la salle", 12),
                            reason="Budget dépassé, nous reportons le projet.")  # fmt: skip
        expired = sent(customers[5], "Appliques du couloir", 45)
        devis.devis_expirer(devis=expired, today=today)
        invoiced = accepted(customers[6 % len(customers)], "Showroom, deuxième tranche", 8)
        deposit = devis.devis_facturer_acompte(devis=invoiced, user=owner, percent=Decimal("30"))
        facture_emettre(facture=deposit, user=owner, today=today - timedelta(days=5))
        final = devis.devis_facturer_solde(devis=invoiced, user=owner)
        facture_emettre(facture=final, user=owner, today=today)  # the quote is now invoiced
        # Demo customers are fictitious: their quote emails are recorded, never sent; so are
        # the team's notices of their answers.
        EnvoiDevis.objects.filter(company=company, sent_at=None).update(sent_at=now)
        Notification.objects.filter(
            company=company, state=EtatNotification.PENDING, url__startswith="/devis/"
        ).update(state=EtatNotification.SENT, sent_at=now)

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

    def _plateforme(self, company: Company) -> None:
        """The e-invoicing platform (issue #21) as the fake of tests/fakes/plateforme.py would
        have answered, written without network: the last invoices to businesses deposited,
        approved, one rejected, one refused, one disputed (the invoice list's badges, the
        dashboard's card); two supplier invoices received."""
        if ConnexionPlateforme.objects.filter(company=company).exists():
            return
        connexion_enregistrer(
            company=company, active=True, name="Plateforme de démonstration",
            base_url="http://127.0.0.1:8430", api_key="pa_demo_key", webhook_secret="whsec_fake_pa",
        )  # fmt: skip
        invoices = [
            f for f in Facture.objects.for_company(company)
            .filter(status="emise", kind="facture").order_by("-issue_date", "-pk")
            if is_e_invoiced(f.buyer or {})
        ][:6]  # fmt: skip
        answers = {0: ("205", ""), 1: ("213", "BR-FR-12 : SIREN de l'acheteur absent"),
                   2: ("207", "Quantité livrée différente"), 3: ("205", ""),
                   4: ("210", "Commande inconnue du service achats")}  # fmt: skip
        for position, facture in enumerate(invoices):
            at = timezone.make_aware(datetime.combine(facture.issue_date, time(9, 0)))
            flow_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo-flow-{facture.pk}"))
            Flux.objects.create(
                company=company, kind=TypeFlux.INVOICE, key=f"facture:{facture.pk}",
                facture=facture, state=EtatFlux.SUBMITTED, flow_id=flow_id, attempts=1,
                submitted_at=at, routing=f"0225:{facture.buyer['siren']}",
            )  # fmt: skip
            statuses = [("200", "")] + ([answers[position]] if position in answers else [])
            for offset, (code, reason) in enumerate(statuses):
                statut_enregistrer(company_id=company.pk, facture=facture, status=LifecycleStatus(
                    event_id=f"demo-{flow_id}-{code}", code=code, reason=reason,
                    at=at + timedelta(hours=2 * offset)))  # fmt: skip
        today = timezone.localdate()
        for number, (name, siren, total, refused) in enumerate((
            ("Papeterie Lyonnaise SAS", "732829320", Decimal("84.00"), False),
            ("Électricité Générale du Rhône", "542065479", Decimal("1440.00"), True),
        )):  # fmt: skip
            recue = FactureRecue.objects.create(
                company=company, flow_id=f"demo-recue-{number}", supplier_name=name,
                supplier_siren=siren, number=f"FA-2026-{4711 + number}",
                issue_date=today - timedelta(days=3 + number), due_date=today + timedelta(days=27),
                total_excl_vat=cents(total / Decimal("1.2")),
                total_vat=total - cents(total / Decimal("1.2")), total_incl_vat=total,
            )  # fmt: skip
            if refused:
                recue_refuser(recue=recue, user=None, reason="Prestation non commandée")
                # As if the platform had taken it: the task finds nothing left to send.
                Flux.objects.filter(facture_recue=recue).update(
                    state=EtatFlux.SUBMITTED,
                    flow_id=f"demo-refus-{number}",
                    submitted_at=timezone.now(),
                )

    def _bank_and_dunning(self, company, owner, *, today) -> None:
        """This morning's bank statement (a transfer naming its invoice, matched at once; one
        from a customer to allocate by hand; the bank's fees), yesterday's dunning recorded
        (sent by the worker), a dispute and a promise to pay on two late invoices."""
        late = list(
            with_amount_due(Facture.objects.for_company(company).filter(status=Status.ISSUED))
            .filter(amount_due__gt=0, due_date__lt=today)
            .exclude(kind=Kind.CREDIT_NOTE)
            .select_related("client")
            .order_by("due_date", "pk")
        )
        if company.iban and len(late) >= 4:
            compte_initial(company)
            reglages_enregistrer(company=company, auto_confirm=True)
            content = camt053(iban=company.iban, day=today, entries=[
                {"amount": f"{late[0].amount_due:.2f}", "payer": late[0].client.name,
                 "label": f"VIR SEPA {late[0].number}"},
                {"amount": "200.00", "payer": late[1].client.name, "label": "REGLEMENT"},
                {"amount": "12.90", "debit": True, "label": "FRAIS TENUE DE COMPTE"},
            ])  # fmt: skip
            releve = releve_deposer(company=company, user=owner, content=content,
                                    filename=f"releve-{today:%Y%m%d}.xml")  # fmt: skip
            releve_importer(releve=releve, user=owner)
        if len(late) >= 4:
            litige_ouvrir(facture=late[2], reason="Prestation contestée", user=owner,
                          message="Le client conteste la quantité livrée.")  # fmt: skip
            promesse_enregistrer(facture=late[3], day=today + timedelta(days=10),
                                 amount=late[3].amount_due, user=owner,
                                 note="Promis au téléphone")  # fmt: skip
        relances_executer(company=company, today=today - timedelta(days=1), send=False)

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
