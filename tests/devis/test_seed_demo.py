"""`seed_demo` gives quotes in every state, with their PDFs, and registers that verify."""

from io import StringIO

import pytest
from django.core.management import call_command

from devis.models import Acceptation, Devis, EnvoiDevis
from pgi.models import Company

pytestmark = pytest.mark.django_db


def test_the_demo_has_quotes_in_every_state_with_their_pdfs():
    call_command("seed_demo", stdout=StringIO())
    count = Devis.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert Devis.objects.count() == count  # run twice, nothing duplicated
    for company in Company.objects.all():
        quotes = Devis.objects.filter(company=company)
        states = set(quotes.values_list("status", flat=True))
        assert states == {"brouillon", "envoye", "vu", "accepte", "refuse", "expire", "facture"}
        assert all(q.pdf_sha256 for q in quotes.exclude(status="brouillon"))
        assert quotes.exclude(opportunite=None).exists()  # one made from a deal of the funnel
        signed = Acceptation.objects.filter(company=company)
        assert signed.count() == 2 and all(a.signed_sha256 for a in signed)
    assert not EnvoiDevis.objects.filter(sent_at=None).exists()
    out = StringIO()
    call_command("verify_registre", stdout=out)
    assert "anomalie" not in out.getvalue()
