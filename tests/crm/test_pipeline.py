"""The sales funnel: stages, opportunities and their moves, the kanban board and the list."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm import services
from crm.models import Etape, Opportunite, OpportuniteStatut, PassageEtape
from pgi.exceptions import DomainError
from pgi.models import FilActivite
from tests import factories


@pytest.mark.django_db
def test_a_company_starts_with_the_default_funnel(company_a):
    stages = services.etapes_par_defaut(company=company_a)
    assert [(s.name, s.probability, s.is_won, s.is_lost) for s in stages] == [
        ("Nouveau", 10, False, False), ("Qualifié", 25, False, False),
        ("Proposition", 50, False, False), ("Négociation", 75, False, False),
        ("Gagné", 100, True, False), ("Perdu", 0, False, True),
    ]  # fmt: skip
    assert services.etapes_par_defaut(company=company_a) == stages  # created once


@pytest.mark.django_db
def test_an_opportunity_takes_its_stages_probability_unless_overridden(company_a):
    opp = factories.opportunite(company_a, etape="Proposition")
    assert opp.probability == 50
    opp = services.opportunite_modifier(opportunite=opp, fields={"probability_override": 60})
    assert opp.probability == 60


@pytest.mark.django_db
def test_moves_write_history_and_feed_and_close_on_won_or_lost(company_a):
    opp = factories.opportunite(company_a, etape="Qualifié", title="Site web")
    services.opportunite_deplacer(opportunite=opp, etape=factories.etape(company_a, "Proposition"))
    with pytest.raises(DomainError, match="pourquoi"):
        services.opportunite_deplacer(opportunite=opp, etape=factories.etape(company_a, "Perdu"))
    opp = services.opportunite_perdre(opportunite=opp, reason="Trop cher")
    assert (opp.status, opp.close_reason, opp.etape.name) == (
        OpportuniteStatut.LOST,
        "Trop cher",
        "Perdu",
    )
    opp = services.opportunite_gagner(opportunite=opp)
    assert opp.status == OpportuniteStatut.WON and opp.closed_at is not None
    moves = [(p.from_etape and p.from_etape.name, p.to_etape.name)
             for p in PassageEtape.objects.filter(opportunite=opp)]  # fmt: skip
    assert moves == [(None, "Qualifié"), ("Qualifié", "Proposition"), ("Proposition", "Perdu"),
                     ("Perdu", "Gagné")]  # fmt: skip
    feed = list(FilActivite.objects.filter(client_id=opp.client_id).order_by("at", "pk"))
    assert len(feed) == 4 and feed[-1].url == opp.get_absolute_url()


@pytest.mark.django_db
def test_another_companys_stage_is_refused(company_a, company_b):
    opp = factories.opportunite(company_a)
    with pytest.raises(DomainError):
        services.opportunite_deplacer(opportunite=opp, etape=factories.etape(company_b, "Gagné"))


@pytest.mark.django_db
def test_a_refused_quote_proposes_the_loss_without_closing(company_a):
    opp = factories.opportunite(company_a)
    opp = services.opportunite_proposer_perte(opportunite=opp, reason="Devis D-1 refusé")
    assert opp.status == OpportuniteStatut.OPEN
    assert "Devis D-1 refusé" in opp.next_action


@pytest.mark.django_db
def test_board_counts_totals_and_weighted_totals_with_flat_queries(
    as_owner_a, company_a, django_assert_max_num_queries
):
    client = factories.client(company_a)
    for amount, stage in (("1000", "Qualifié"), ("3000", "Qualifié"), ("2000", "Proposition")):
        factories.opportunite(company_a, client, amount=amount, etape=stage)
    response = as_owner_a.get(reverse("pipeline:tableau"))
    columns = {c.etape.name: c for c in response.context["columns"]}
    assert (columns["Qualifié"].count, columns["Qualifié"].total) == (2, Decimal("4000"))
    assert columns["Qualifié"].weighted == Decimal("1000.00")
    assert columns["Proposition"].weighted == Decimal("1000.00")
    assert response.context["totals"]["weighted"] == Decimal("2000.00")
    for _ in range(20):
        factories.opportunite(company_a, client, etape="Nouveau")
    with django_assert_max_num_queries(12):
        as_owner_a.get(reverse("pipeline:tableau"))


@pytest.mark.django_db
def test_move_through_http_checks_the_company_and_asks_a_reason_for_lost(
    as_owner_a, company_a, company_b
):
    opp = factories.opportunite(company_a, etape="Qualifié")
    url = reverse("pipeline:opportunite_move", args=[opp.pk])
    response = as_owner_a.post(url, {"etape": factories.etape(company_b, "Gagné").pk},
                               headers={"HX-Request": "true"})  # fmt: skip
    assert "Étape inconnue" in response.content.decode()
    as_owner_a.post(url, {"etape": factories.etape(company_a, "Proposition").pk},
                    headers={"HX-Request": "true"})  # fmt: skip
    assert Opportunite.objects.get(pk=opp.pk).etape.name == "Proposition"
    response = as_owner_a.post(url, {"etape": factories.etape(company_a, "Perdu").pk},
                               headers={"HX-Request": "true"})  # fmt: skip
    assert response.headers["HX-Redirect"] == reverse("pipeline:opportunite_lose", args=[opp.pk])
    theirs = factories.opportunite(company_b)
    assert as_owner_a.get(theirs.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_accountant_reads_the_board_but_moves_nothing(as_accountant_a, company_a):
    opp = factories.opportunite(company_a, etape="Qualifié")
    assert as_accountant_a.get(reverse("pipeline:tableau")).status_code == 200
    response = as_accountant_a.post(
        reverse("pipeline:opportunite_move", args=[opp.pk]),
        {"etape": factories.etape(company_a, "Gagné").pk},
    )
    assert response.status_code == 403
    assert Opportunite.objects.get(pk=opp.pk).status == OpportuniteStatut.OPEN


@pytest.mark.django_db
def test_create_an_opportunity_with_a_french_amount(as_owner_a, company_a):
    client = factories.client(company_a)
    response = as_owner_a.post(reverse("pipeline:opportunite_create"), {
        "title": "Refonte", "client": client.pk, "amount": "12 500,50",
    })  # fmt: skip
    opp = Opportunite.objects.get()
    assert response.url == opp.get_absolute_url()
    assert opp.amount == Decimal("12500.50") and opp.etape.name == "Nouveau"


@pytest.mark.django_db
def test_list_filters_and_sorts(as_owner_a, company_a):
    client = factories.client(company_a, name="ACME")
    factories.opportunite(company_a, client, title="Petit", amount="100", etape="Nouveau")
    factories.opportunite(company_a, client, title="Gros", amount="9000", etape="Qualifié")
    response = as_owner_a.get(reverse("pipeline:opportunite_list") + "?tri=-montant")
    assert [o.title for o in response.context["page"].object_list] == ["Gros", "Petit"]
    stage = factories.etape(company_a, "Nouveau").pk
    response = as_owner_a.get(reverse("pipeline:opportunite_list") + f"?etape={stage}")
    assert [o.title for o in response.context["page"].object_list] == ["Petit"]


@pytest.mark.django_db
def test_a_used_stage_cannot_be_deleted(company_a):
    factories.opportunite(company_a, etape="Nouveau")
    with pytest.raises(DomainError):
        services.etape_supprimer(etape=factories.etape(company_a, "Nouveau"))
    services.etape_supprimer(etape=factories.etape(company_a, "Négociation"))
    assert not Etape.objects.filter(name="Négociation").exists()


@pytest.mark.django_db
def test_statistics_conversion_win_rate_time_to_close_and_months(
    as_owner_a, company_a, django_assert_max_num_queries
):
    from datetime import date, timedelta

    from django.utils import timezone

    client = factories.client(company_a)
    stage = lambda name: factories.etape(company_a, name)  # noqa: E731
    # Four deals: one stays new, one qualified then lost, two go to a proposal, one is won.
    factories.opportunite(company_a, client, amount="1000", expected_close_date=date(2027, 1, 10))
    lost = factories.opportunite(company_a, client, etape="Qualifié")
    services.opportunite_perdre(opportunite=lost, reason="Budget")
    open_ = factories.opportunite(company_a, client, amount="2000", etape="Qualifié",
                                  expected_close_date=date(2027, 1, 20))  # fmt: skip
    services.opportunite_deplacer(opportunite=open_, etape=stage("Proposition"))
    won = factories.opportunite(company_a, client, etape="Qualifié")
    services.opportunite_deplacer(opportunite=won, etape=stage("Proposition"))
    Opportunite.objects.filter(pk=won.pk).update(created_at=timezone.now() - timedelta(days=10))
    services.opportunite_gagner(opportunite=won)

    with django_assert_max_num_queries(12):
        response = as_owner_a.get(reverse("pipeline:statistiques"))
    stats = response.context["stats"]
    rates = {(c["from"].name, c["to"].name if c["to"] else "Gagné"): (c["reached"], c["passed"])
             for c in stats.conversions}  # fmt: skip
    assert rates[("Nouveau", "Qualifié")] == (4, 3)
    assert rates[("Qualifié", "Proposition")] == (3, 2)
    assert rates[("Proposition", "Négociation")] == (2, 1)  # the won one went past it
    assert rates[("Négociation", "Gagné")] == (1, 1)
    assert (stats.won, stats.lost, stats.win_rate) == (1, 1, Decimal("50.0"))
    assert Decimal("9.9") <= stats.average_days_to_close <= Decimal("10.1")
    january = stats.months[0]
    assert (january["count"], january["total"], january["weighted"]) == (
        2, Decimal("3000"), Decimal("1100.00")
    )  # fmt: skip


@pytest.mark.django_db
def test_win_with_a_reason_from_the_page(as_owner_a, company_a):
    opp = factories.opportunite(company_a, etape="Négociation")
    as_owner_a.post(
        reverse("pipeline:opportunite_win", args=[opp.pk]), {"reason": "Meilleur délai"}
    )
    opp.refresh_from_db()
    assert (opp.status, opp.close_reason) == (OpportuniteStatut.WON, "Meilleur délai")
