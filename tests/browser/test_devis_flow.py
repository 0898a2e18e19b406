"""A quote from the customer's email to the final invoice (issue #18): the customer opens the
emailed link, ticks an option and accepts with a name; the owner sees it accepted and
converts it into a 30 % deposit invoice, then the final invoice that deducts it."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from devis import services
from devis.models import Devis, Statut
from pgi.permissions import Role
from tests import factories
from tests.devis import factories as quotes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, email):
    page.goto("/connexion/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_the_customer_accepts_online_and_the_owner_invoices_deposit_and_balance(page, screenshot):
    seller = factories.issuing_company(
        "Peintures Martin SARL", legal_form="SARL", email="gerant@martin.example",
        brand_color="#0f766e",
    )  # fmt: skip
    factories.member(seller, Role.OWNER, email="owner@martin.example")
    customer = factories.business_client(seller, name="Bureaux Dupont", email="achat@dupont.fr")
    devis = quotes.draft(seller, customer, subject="Peinture des bureaux")
    mail.outbox.clear()
    services.devis_envoyer(
        devis=devis, user=None, recipients=[customer.email], subject="Votre devis",
        body=services_body(devis),
    )  # fmt: skip
    email = next(m for m in mail.outbox if m.to == ["achat@dupont.fr"])
    assert email.attachments[0][0].endswith(".pdf")
    link = re.search(r"https?://\S+/q/\S+/", email.body).group(0)
    path = "/" + link.split("/", 3)[3]

    # The customer, from the email
    page.goto(path)
    expect(page.get_by_role("heading", name=re.compile(r"Devis D-\d{4}-0001"))).to_be_visible()
    expect(page.get_by_test_id("public-cgv")).to_contain_text("Conditions générales")
    page.get_by_label(re.compile("Vernis de protection")).check()
    page.get_by_label("Votre nom complet").fill("Jeanne Dupont")
    box = page.locator("canvas.signature-pad").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 60)
    page.mouse.down()
    for step in range(1, 8):  # a drawn signature, optional
        page.mouse.move(box["x"] + 20 + step * 30, box["y"] + 60 + (-1) ** step * 25)
    page.mouse.up()
    page.get_by_label(re.compile("Bon pour accord")).check()
    screenshot(page, "devis-public-accept")
    page.get_by_test_id("accept").click()
    expect(page.get_by_test_id("public-accepted")).to_contain_text("accepté par Jeanne Dupont")
    devis.refresh_from_db()
    assert devis.status == Statut.ACCEPTED
    assert devis.acceptation.options == [4]
    assert devis.acceptation.signature.startswith("data:image/png;base64,")
    assert page.console_errors == []

    # The owner
    page.on("dialog", lambda dialog: dialog.accept())
    login(page, "owner@martin.example")
    page.goto("/devis/")
    expect(page.get_by_test_id("status").first).to_have_text("Accepté")
    page.get_by_role("link", name=devis.reference).click()
    expect(page.get_by_test_id("devis-status")).to_have_text("Accepté")
    expect(page.get_by_test_id("acceptation")).to_contain_text("Jeanne Dupont")
    # 890 HT firm + 200 HT option ticked = 1 090 HT, 1 308 TTC
    expect(page.get_by_test_id("devis-total-ttc")).to_have_text("1 308,00 €")
    page.get_by_label("Acompte (%)").fill("30")
    page.get_by_role("button", name="Préparer la facture d'acompte").click()
    expect(page.get_by_test_id("total-ttc")).to_have_text("392,40 €")  # 30 % of 1 308
    page.get_by_role("button", name="Enregistrer et émettre").click()
    expect(page.locator("#messages")).to_contain_text("émise")
    page.goto(f"/devis/{devis.pk}/")
    page.get_by_role("button", name="Préparer la facture (acomptes déduits)").click()
    expect(page.get_by_test_id("total-ttc")).to_have_text("915,60 €")  # 1 308 − 392,40
    screenshot(page, "devis-final-invoice")
    page.get_by_role("button", name="Enregistrer et émettre").click()
    expect(page.get_by_test_id("facture-devis")).to_contain_text(devis.reference)
    page.goto(f"/devis/{devis.pk}/")
    expect(page.get_by_test_id("devis-status")).to_have_text("Facturé")
    expect(page.get_by_test_id("devis-factures").locator("li")).to_have_count(2)
    assert Devis.objects.get(pk=devis.pk).factures.count() == 2


def services_body(devis) -> str:
    from django.template.loader import render_to_string

    from devis.public import public_url

    return render_to_string(
        "devis/email/devis_body.txt",
        {"devis": devis, "company": devis.company, "link": public_url(devis)},
    )


def test_the_owner_writes_a_quote_with_an_option_sees_what_is_missing_and_sends_it(
    page, screenshot
):
    seller = factories.issuing_company("Menuiserie Bois SARL", legal_form="SARL")
    factories.member(seller, Role.OWNER, email="owner@bois.example")
    factories.business_client(seller, name="Cuisines Lemoine", email="achat@lemoine.fr")
    login(page, "owner@bois.example")

    page.get_by_role("link", name="Devis").first.click()
    page.get_by_role("link", name="Nouveau devis").click()
    page.get_by_role("combobox", name="Client").fill("Lemoine")
    page.get_by_role("option", name=re.compile("Cuisines Lemoine")).click()
    page.get_by_role("button", name="Créer le brouillon").click()

    rows = page.locator("#line-rows tr")
    rows.nth(0).get_by_label("Désignation").fill("Plan de travail chêne")
    rows.nth(0).get_by_label("Quantité").fill("3")
    rows.nth(0).get_by_label("Unité").select_option("m")
    rows.nth(0).get_by_label("Prix unitaire HT").fill("1 234,50")
    page.get_by_role("button", name="Ajouter une ligne").click()
    rows.nth(1).get_by_label("Désignation").fill("Pose")
    rows.nth(1).get_by_label("Quantité").fill("6")
    rows.nth(1).get_by_label("Unité").select_option("heure")
    rows.nth(1).get_by_label("Prix unitaire HT").fill("50")
    rows.nth(1).get_by_label("Catégorie").select_option("main_oeuvre")
    page.get_by_role("button", name="Ajouter une ligne").click()
    rows.nth(2).get_by_label("Désignation").fill("Crédence en verre")
    rows.nth(2).get_by_label("Prix unitaire HT").fill("400")
    rows.nth(2).get_by_label("Option").check()
    # Live totals of the shared engine, the option left out: 3 703,50 + 300 = 4 003,50 HT
    expect(page.get_by_test_id("total-ht")).to_have_text("4 003,50 €")
    page.get_by_role("button", name="Enregistrer et envoyer").click()
    page.get_by_role("button", name="Envoyer").click()
    problems = page.get_by_test_id("send-problems")
    expect(problems).to_contain_text(
        "« date de début des travaux ou de la prestation » à compléter"
    )
    expect(problems).to_contain_text("« durée estimée » à compléter")
    expect(problems).to_contain_text("« conditions de paiement » à compléter")
    screenshot(page, "devis-missing-items")

    page.get_by_label("Début des travaux / de la prestation").fill("2027-01-11")
    page.get_by_label("Durée estimée").fill("2 jours")
    page.get_by_label("Conditions de paiement").fill("40 % à la commande, solde à la pose.")
    page.get_by_label("Conditions de livraison et d'exécution").fill("Pose sur site.")
    page.get_by_label("Réclamations et service après-vente").fill("Sous 8 jours par écrit.")
    page.get_by_role("button", name="Enregistrer et envoyer").click()
    mail.outbox.clear()
    page.get_by_role("button", name="Envoyer").click()
    expect(page.get_by_test_id("devis-status")).to_have_text("Envoyé")
    devis = Devis.objects.get(company=seller)
    expect(page.get_by_role("heading", level=1)).to_contain_text(devis.reference)
    assert devis.total_excl_vat == Decimal("4003.50")
    assert [m.to for m in mail.outbox] == [["achat@lemoine.fr"]]
    assert mail.outbox[0].attachments[0][0] == f"{devis.reference}.pdf"
    assert page.console_errors == []
