"""Every list page, the dashboard and the API lists run as many SQL queries for 3N rows as for
N rows (no query per row), and no more than a bound that a new query must move on purpose.

Each case adds N rows, counts the queries of one request, adds 2N more, counts again. Both
sizes fit on one page, so every row is rendered. A warm-up request comes first, so that what
one request caches for the next (sessions, content types) is not counted as a row's cost.
"""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comptabilite.services import archive_creer, cloture_effectuer
from encaissement.services import Allocation, paiement_annuler, paiement_enregistrer
from facturation.recurrence import recurrence_creer
from facturation.services import article_enregistrer, avoir_creer, facture_emettre
from pgi.events import event_record
from pgi.models import EventKind
from pgi.permissions import Role
from pgi.services import api_token_create, invitation_send
from tests import factories
from tests.conftest import login

N = 2  # 3N = 6 steps of at most 3 rows: 18 rows, one page of 25

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return factories.issuing_company()


@pytest.fixture
def owner(seller):
    return factories.member(seller, Role.OWNER)


@pytest.fixture
def as_owner(client, owner):
    return login(client, owner)


def queries_of(get: Callable[[], object]) -> int:
    get()  # warm-up
    with CaptureQueriesContext(connection) as captured:
        response = get()
    assert response.status_code == 200, response
    return len(captured)


def assert_flat(get: Callable[[], object], add_rows: Callable[[int], None], bound: int) -> None:
    add_rows(N)
    few = queries_of(get)
    add_rows(2 * N)
    many = queries_of(get)
    assert few == many, f"{few} queries for {N} rows, {many} for {3 * N}: a query per row"
    assert many <= bound, f"{many} queries, more than the {bound} this page is allowed"


def page(client, name: str, **params) -> Callable[[], object]:
    url = reverse(name)
    return lambda: client.get(url, params)


# Rows of each kind, added `count` at a time.


def customers(company):
    def add(count: int) -> None:
        for _ in range(count):
            client_ = factories.business_client(company)
            factories.client(company, name=f"Particulier {client_.pk}", kind="particulier")

    return add


def documents(company):
    """Invoices issued with a credit note each, drafts, deposit invoices: every kind a list
    shows, with a customer, an origin and an amount due."""

    def add(count: int) -> None:
        for _ in range(count):
            customer = factories.business_client(company)
            invoice = factories.issued(company, customer)
            facture_emettre(
                facture=avoir_creer(
                    facture=invoice, user=None, amount_excl_vat=Decimal("10"),
                    vat_rate=Decimal("20"),
                ),
                user=None,
            )  # fmt: skip
            factories.draft(company, customer)

    return add


def articles(company):
    def add(count: int) -> None:
        for _ in range(count):
            article_enregistrer(
                company=company, article=None,
                fields={"designation": "Article", "unit_price": Decimal("12.50")},
            )  # fmt: skip

    return add


def recurrences(company):
    def add(count: int) -> None:
        for _ in range(count):
            invoice = factories.issued(company, factories.business_client(company))
            recurrence_creer(
                facture=invoice, frequency="mensuelle", next_date=date(2030, 1, 1),
                auto_issue=False,
            )  # fmt: skip

    return add


def closures(company):
    """Consecutive monthly closures from January 2025, where an invoice was issued, each with
    its archive."""
    facture_emettre(facture=factories.draft(company), user=None, today=date(2025, 1, 10))
    closed = []

    def add(count: int) -> None:
        for _ in range(count):
            month = len(closed)
            start = date(2025 + month // 12, month % 12 + 1, 1)
            closed.append(
                cloture_effectuer(company=company, kind="mensuelle", period_start=start, user=None)
            )
            archive_creer(company=company, cloture=closed[-1], user=None)

    return add


def events(company, user):
    def add(count: int) -> None:
        for i in range(count):
            event_record(kind=EventKind.EXPORT, summary=f"export {i}", company=company, user=user)
            event_record(kind=EventKind.LOGIN, summary="connexion", user=user)

    return add


def members_and_invitations(company, user):
    def add(count: int) -> None:
        for _ in range(count):
            factories.member(company, Role.STAFF)
            invitation_send(
                company=company, email=f"invite{factories.siren()}@test.example",
                role=Role.STAFF, invited_by=user,
            )  # fmt: skip

    return add


def tokens(membership):
    def add(count: int) -> None:
        for i in range(count):
            api_token_create(membership=membership, name=f"jeton {i}")

    return add


# Pages


def test_customer_list(as_owner, seller):
    assert_flat(page(as_owner, "crm:client_list"), customers(seller), bound=7)


def test_customer_search(as_owner, seller):
    assert_flat(page(as_owner, "crm:client_list", q="Client"), customers(seller), bound=7)


def test_invoice_list(as_owner, seller):
    # 7: one query for the lines of the page's drafts, whose totals are shown (issue #15).
    assert_flat(page(as_owner, "facturation:facture_list"), documents(seller), bound=7)


def platform_statuses(company):
    """Invoices with a platform lifecycle each: approved then reported cashed, rejected,
    refused, disputed (the list's platform badge and its "à corriger" filter); 4 a step."""
    from facturation.plateforme.client import LifecycleStatus
    from facturation.plateforme.services import statut_enregistrer

    def add(count: int) -> None:
        for _ in range(count):
            customer = factories.business_client(company)
            for codes in (["200", "205", "212"], ["213"], ["200", "210"], ["200", "207"]):
                invoice = factories.issued(company, customer)
                for code in codes:
                    statut_enregistrer(
                        company_id=company.pk, facture=invoice,
                        status=LifecycleStatus(event_id=factories.siren() + code, code=code,
                                               at=timezone.now()),
                        detail={"amount": "10.00"} if code == "212" else None,
                    )  # fmt: skip

    return add


def test_invoice_list_with_platform_statuses(as_owner, seller):
    # The platform's status of each row: two subqueries of the same query, no query per row.
    assert_flat(page(as_owner, "facturation:facture_list"), platform_statuses(seller), bound=7)


def test_invoice_list_to_correct(as_owner, seller):
    add = platform_statuses(seller)
    assert_flat(page(as_owner, "facturation:facture_list", plateforme="a_corriger"), add, bound=7)


def test_article_list(as_owner, seller):
    assert_flat(page(as_owner, "facturation:article_list"), articles(seller), bound=6)


def test_recurring_invoice_list(as_owner, seller):
    assert_flat(page(as_owner, "facturation:recurrence_list"), recurrences(seller), bound=5)


def test_closure_list(as_owner, seller):
    # 8: the first fiscal year, shown with its form (issue #19).
    assert_flat(page(as_owner, "comptabilite:clotures"), closures(seller), bound=8)


def test_event_log(as_owner, seller, owner):
    assert_flat(page(as_owner, "comptabilite:evenements"), events(seller, owner.user), bound=6)


def test_members(as_owner, seller, owner):
    add = members_and_invitations(seller, owner.user)
    assert_flat(page(as_owner, "members"), add, bound=6)


def test_api_tokens(as_owner, owner):
    assert_flat(page(as_owner, "api_tokens"), tokens(owner), bound=5)


def test_dashboard(as_owner, seller):
    def add(count: int) -> None:
        customers(seller)(count)
        documents(seller)(count)

    # +1: the first-run checklist reads its facts in one query (issue #15); +1: what needs
    # the owner on the e-invoicing platform, counted in one query.
    assert_flat(page(as_owner, "home"), add, bound=11)


def payments(company):
    """Payments allocated to an invoice, a reversal of each, and a payment left as credit."""

    def add(count: int) -> None:
        for _ in range(count):
            customer = factories.business_client(company)
            invoice = factories.issued(company, customer)
            paid = paiement_enregistrer(
                company=company, user=None, client=customer, day=timezone.localdate(),
                amount=Decimal("120"), method="virement",
                allocations=[Allocation(invoice.pk, Decimal("120"))],
            )  # fmt: skip
            paiement_annuler(paiement=paid, user=None)
            paiement_enregistrer(
                company=company, user=None, client=customer, day=timezone.localdate(),
                amount=Decimal("5"), method="cheque",
            )  # fmt: skip

    return add


def test_payment_list(as_owner, seller):
    assert_flat(page(as_owner, "encaissement:paiement_list"), payments(seller), bound=6)


def receivables(company):
    """Open invoices in every state of the receivables list: not due, overdue (with a
    reminder done), disputed, promised, of a customer not to dun."""
    from encaissement.relances import services as relances
    from tests.encaissement.conftest import ensure_rates

    ensure_rates()

    def add(count: int) -> None:
        today = timezone.localdate()
        for _ in range(count):
            customer = factories.business_client(company, email="c@exemple.fr")
            factories.issued(company, customer)
            late = facture_emettre(
                facture=factories.draft(company, customer), user=None,
                today=today - timedelta(days=75),
            )  # fmt: skip
            relances.relances_executer(company=company, today=today, send=False)
            disputed = facture_emettre(
                facture=factories.draft(company, customer), user=None,
                today=today - timedelta(days=40),
            )  # fmt: skip
            relances.litige_ouvrir(facture=disputed, reason="Contestée", user=None)
            relances.promesse_enregistrer(
                facture=late, day=today + timedelta(days=5), amount=Decimal("50"), user=None
            )
            relances.profil_relance_modifier(client=customer, do_not_dun=True, scenario=None)

    return add


def test_receivables(as_owner, seller):
    """Receivables (issue #17): filters, totals per filter and each row's next action."""
    assert_flat(page(as_owner, "relances:creances"), receivables(seller), bound=9)


def test_receivables_overdue_filter(as_owner, seller):
    assert_flat(
        page(as_owner, "relances:creances", etat="retard_31_60"), receivables(seller), bound=9
    )


# API lists


@pytest.fixture
def api(client, owner):
    headers = {"Authorization": f"Bearer {factories.token(owner)}"}
    return lambda path: lambda: client.get(f"/api/v1{path}", headers=headers)


def test_api_customer_list(api, seller):
    assert_flat(api("/clients/"), customers(seller), bound=3)


def test_api_invoice_list_with_platform_statuses(api, seller):
    assert_flat(api("/factures/?plateforme=a_corriger"), platform_statuses(seller), bound=3)


def test_api_article_list(api, seller):
    assert_flat(api("/articles/"), articles(seller), bound=3)


def test_api_invoice_list(api, seller):
    assert_flat(api("/factures/"), documents(seller), bound=3)


def test_api_receivables(api, seller):
    assert_flat(api("/relances/creances/"), receivables(seller), bound=8)


def test_books_entries(as_owner, seller):
    """Entries with their lines and letters (issue #19)."""
    assert_flat(page(as_owner, "comptabilite:ecritures"), payments(seller), bound=10)


def test_books_general_ledger(as_owner, seller):
    assert_flat(page(as_owner, "comptabilite:grand_livre"), payments(seller), bound=7)


def test_api_books_entries(api, seller):
    assert_flat(api("/livres/ecritures"), payments(seller), bound=4)
