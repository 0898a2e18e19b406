"""The customer portal's public pages (no account: the signed link is the key)."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

from crm.panels import portail_panels
from crm.portail import Etat, portail_lien_redemander, portail_lire

RATE = "5/h"  # new links asked from one address


def _closed(request, acces, etat: Etat, *, sent: bool | None = None):
    """410: the link was ours and no longer opens the portal; the page says why and what to
    do, under the company's name."""
    context = {"company": acces.company, "etat": etat, "sent": sent, "token": None}
    return render(request, "crm/portail/ferme.html", context, status=410)


def portail(request, token: str):
    acces, etat = portail_lire(token)
    if acces is None:
        raise Http404
    if etat != Etat.OK:
        return _closed(request, acces, etat)
    context = {
        "company": acces.company, "client": acces.client, "acces": acces,
        "panels": portail_panels(request, acces.client), "token": None,
    }  # fmt: skip
    return render(request, "crm/portail/portail.html", context)


@require_POST
def portail_renouveler(request, token: str):
    """From an expired link: a new link, emailed to the customer's address on file."""
    acces, etat = portail_lire(token)
    if acces is None:
        raise Http404
    if etat != Etat.EXPIRED:
        return portail(request, token) if etat == Etat.OK else _closed(request, acces, etat)
    usage = get_usage(request, group="crm-portail", key="ip", rate=RATE, increment=True)
    if usage is not None and usage["should_limit"]:
        return _closed(request, acces, etat, sent=False)
    return _closed(request, acces, etat, sent=portail_lien_redemander(acces=acces) is not None)
