"""The formal notice letter (mise en demeure, C. civ. art. 1344), printed for registered post.

Laid out like every printed document (templates/documents/pdf/base.html): the seller and
the customer from the invoice's sealed content, then the letter's text as it was recorded
on the reminder, and the amounts claimed on the day it was written.
"""

import json

from django.template.loader import render_to_string

from encaissement.models import Relance
from pgi.models import Enregistrement
from pgi.pdf import layout_context, render_pdf
from pgi.text import clean_strings


def lettre_pdf(relance: Relance) -> bytes:
    facture = relance.facture
    record = Enregistrement.objects.get(
        company_id=facture.company_id, kind=facture.kind, reference=facture.number
    )
    content = clean_strings(json.loads(bytes(record.payload))["doc"])
    logo = facture.company.logo.path if facture.company.logo else None
    context = {
        **layout_context(content, logo_path=logo),
        "title": "Mise en demeure — facture",
        "relance": relance,
        "paragraphs": [p for p in relance.body.split("\n\n") if p.strip()],
        "total": relance.amount_due + relance.penalties + relance.indemnity,
    }
    html = render_to_string("encaissement/relances/pdf/mise_en_demeure.html", context)
    return render_pdf(html, logo=context["logo"], variant="pdf/a-3b")
