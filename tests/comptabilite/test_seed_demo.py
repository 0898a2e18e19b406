"""`seed_demo` shows every feature with living data, runs twice without duplicating, and
leaves registers that verify."""

from io import StringIO

import pytest
from django.core.management import call_command

from comptabilite.tableaux.models import ResteDu
from encaissement.models import Paiement
from facturation.models import Facture
from facturation.selectors import with_amount_due
from pgi.models import Company

pytestmark = pytest.mark.django_db


def test_the_demo_has_payments_reversals_credit_and_unpaid_invoices_and_verifies():
    call_command("seed_demo", stdout=StringIO())
    counts = (Facture.objects.count(), Paiement.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Facture.objects.count(), Paiement.objects.count()) == counts

    company = Company.objects.order_by("pk").first()
    payments = Paiement.objects.filter(company=company)
    assert payments.filter(kind="annulation").exists()
    assert payments.filter(affectations__isnull=True, kind="encaissement").exists()  # credit
    dues = list(
        with_amount_due(
            Facture.objects.filter(company=company, kind="facture", status="emise")
        ).values_list("amount_due", "total_incl_vat")
    )
    assert any(due == 0 for due, _total in dues)  # paid
    assert any(0 < due < total for due, total in dues)  # paid in part
    assert any(due == total for due, total in dues)  # not paid yet
    # This morning's bank statement, a dispute, a promise and yesterday's dunning.
    from encaissement.models import Litige, PromessePaiement, Relance
    from encaissement.releves.models import LigneReleve

    lines = LigneReleve.objects.filter(company=company)
    assert set(lines.values_list("status", flat=True)) >= {"rapprochee", "a_rapprocher"}
    assert Litige.objects.filter(company=company).exists()
    assert PromessePaiement.objects.filter(company=company).exists()
    assert Relance.objects.filter(company=company).exists()
    # The dashboards' kept amounts agree with the one "reste dû" on every demo invoice.
    kept = dict(ResteDu.objects.values_list("facture_id", "amount_due"))
    invoices = with_amount_due(Facture.objects.filter(status="emise").exclude(kind="avoir"))
    assert kept == dict(invoices.values_list("pk", "amount_due"))
    out = StringIO()
    call_command("verify_registre", stdout=out)
    assert "anomalie" not in out.getvalue()


def test_the_demo_books_export_a_valid_fec(tmp_path):
    """The demo company's FEC of its current fiscal year: balanced, sorted, right name and
    encoding, 18 fields; its customers' 411 accounts equal their balances."""
    from django.utils import timezone

    from comptabilite.livres.selectors import solde_client_comptable
    from comptabilite.selectors import fiscal_year_start
    from crm.models import Client
    from encaissement.selectors import reste_du_client, solde_client
    from tests.comptabilite.test_livres_fec import check_fec

    call_command("seed_demo", stdout=StringIO())
    company = Company.objects.order_by("pk").first()
    year = fiscal_year_start(company, timezone.localdate()).year
    out = StringIO()
    call_command(
        "export_fec", "--company", company.siren, "--year", str(year), "--output",
        str(tmp_path), stdout=out, stderr=StringIO(),
    )  # fmt: skip
    from pathlib import Path

    rows = check_fec(Path(out.getvalue().strip()), siren=company.siren, year=year)
    assert {row[0] for row in rows} >= {"VT", "BQ"}
    for client in Client.objects.filter(company=company):
        expected = reste_du_client(client) - solde_client(client)
        assert solde_client_comptable(company=company, client_id=client.pk) == expected, client


def test_the_demo_has_a_funnel_tasks_and_customer_feeds():
    from crm.models import Activite, Opportunite
    from pgi.models import FilActivite

    call_command("seed_demo", stdout=StringIO())
    company = Company.objects.order_by("pk").first()
    deals = Opportunite.objects.filter(company=company)
    assert deals.count() == 20
    assert {"ouverte", "gagnee", "perdue"} <= set(deals.values_list("status", flat=True))
    assert Activite.objects.filter(company=company, kind="tache", done_at__isnull=True).exists()
    families = set(FilActivite.objects.filter(company=company).values_list("famille", flat=True))
    assert {"opportunite", "facture", "paiement", "activite"} <= families
    call_command("seed_demo", stdout=StringIO())
    assert deals.count() == 20


def test_the_demo_shows_platform_statuses_and_received_invoices():
    """Issue #21: written without network, as the fake platform would have answered."""
    from encaissement.models import Litige
    from facturation.models import FactureRecue, StatutFacture

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    codes = set(StatutFacture.objects.filter(facture__isnull=False).values_list("code", flat=True))
    assert {"200", "205", "213", "210", "207"} <= codes
    # The home dashboard's card and the invoice list's filter have something to show.
    from facturation.plateforme.selectors import a_traiter_compte
    from pgi.models import Company

    company = Company.objects.get(pk=StatutFacture.objects.first().company_id)
    counts = a_traiter_compte(company=company)
    assert counts["rejected"] == counts["refused"] == counts["to_decide"] == 1
    assert Litige.objects.filter(reason__contains="Quantité livrée").count() == 1
    assert sorted(FactureRecue.objects.values_list("state", flat=True)) == ["recue", "refusee"]


def test_the_dashboards_revenue_is_what_the_books_credit_to_706_and_707():
    """Issue #19, "figures agree": over the demo's year, the dashboard's revenue excl. VAT
    equals the credits on the sales accounts (706/707) net of debits, in both demo companies
    (the franchise one included). Over the year, not month by month: a deposit invoice is
    revenue on the dashboard when issued, and on 4191 in the books until its final invoice."""
    from django.db.models import Sum
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from comptabilite.livres.models import LigneEcriture, Role
    from comptabilite.tableaux.selectors import Periode, ventes_par_mois

    call_command("seed_demo", stdout=StringIO())
    today = timezone.localdate()
    periode = Periode.last_months(today, 14)
    for company in Company.objects.all():
        revenue = {
            row["month"]: row["amount"] for row in ventes_par_mois(company=company, periode=periode)
        }
        books = dict(
            LigneEcriture.objects.filter(
                company=company, role=Role.SALES, ecriture__journal="VT",
                ecriture__date__range=(periode.start, periode.end),
            )
            .annotate(month=TruncMonth("ecriture__date"))
            .values("month")
            .annotate(net=Sum("credit") - Sum("debit"))
            .values_list("month", "net")
        )  # fmt: skip
        assert sum(revenue.values()) > 0, company
        assert sum(books.values()) == sum(revenue.values()), company
