"""The books' pages: entries per journal, general ledger, VAT due, account mapping, FEC."""

import re
import uuid
from datetime import date

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from comptabilite.exceptions import ComptabiliteError
from comptabilite.livres.comptes import Plan, mapping_keys
from comptabilite.livres.fec import ENCODINGS, SEPARATORS, fec_filename
from comptabilite.livres.models import Journal, Lettrage
from comptabilite.livres.selectors import ecriture_lister, exercices, grand_livre
from comptabilite.livres.services import compte_modifier
from comptabilite.livres.tasks import fec_export_task, fec_folder, fec_run_key
from comptabilite.livres.tva import tva_due
from comptabilite.selectors import add_months, month_end, period_from_label
from pgi.permissions import Perm
from pgi.tenancy import member_required


def _exercice(request):
    """The fiscal year asked for (`?exercice=AAAA`, the year it closes), else the current."""
    years = exercices(company=request.company, today=timezone.localdate())
    label = request.GET.get("exercice", "")
    if not re.fullmatch(r"\d{4}", label) or label not in [p.label for p in years]:
        label = years[-1].label
    return period_from_label(company=request.company, label=label), years


@require_safe
@member_required(Perm.VIEW)
def ecritures(request):
    """The entries of a fiscal year, per journal, newest first, with their letters."""
    period, years = _exercice(request)
    journal = request.GET.get("journal", "")
    if journal not in Journal.values:
        journal = ""
    entries = ecriture_lister(company=request.company, journal=journal).filter(
        date__range=(period.start, period.end)
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    ids = {line.facture_id for e in page.object_list for line in e.lignes.all() if line.facture_id}
    letters = dict(
        Lettrage.objects.filter(company=request.company, facture_id__in=ids).values_list(
            "facture_id", "letter"
        )
    )
    for entry in page.object_list:
        for line in entry.lignes.all():
            line.letter = letters.get(line.facture_id)
    context = {
        "page": page, "period": period, "years": years, "journal": journal,
        "journals": Journal.choices,
    }  # fmt: skip
    return render(request, "comptabilite/livres/ecritures.html", context)


@require_safe
@member_required(Perm.VIEW)
def grand_livre_vue(request):
    period, years = _exercice(request)
    rows = grand_livre(company=request.company, start=period.start, end=period.end)
    totals = {
        "debit": sum(r["debit"] for r in rows),
        "credit": sum(r["credit"] for r in rows),
    }
    context = {"rows": rows, "period": period, "years": years, "totals": totals}
    return render(request, "comptabilite/livres/grand_livre.html", context)


def _vat_period(value: str, today: date) -> tuple[date, date, str]:
    """`AAAA-MM` is a month, `AAAA-Tn` a quarter; else last month."""
    if match := re.fullmatch(r"(\d{4})-T([1-4])", value):
        start = date(int(match[1]), 3 * int(match[2]) - 2, 1)
        return start, month_end(add_months(start, 2)), value
    if match := re.fullmatch(r"(\d{4})-(\d{2})", value):
        if 1 <= int(match[2]) <= 12:
            start = date(int(match[1]), int(match[2]), 1)
            return start, month_end(start), value
    start = add_months(today.replace(day=1), -1)
    return start, month_end(start), f"{start:%Y-%m}"


@require_safe
@member_required(Perm.VIEW)
def tva(request):
    today = timezone.localdate()
    start, end, value = _vat_period(request.GET.get("periode", ""), today)
    choices = []  # this month (under way) and the 24 before, with their quarters
    month = today.replace(day=1)
    for _i in range(25):
        if month.month in (3, 6, 9, 12) or not choices:
            quarter = f"{month.year}-T{(month.month + 2) // 3}"
            label = _("%(q)se trimestre %(y)s") % {"q": quarter[-1], "y": month.year}
            choices.append((quarter, label))
        choices.append((f"{month:%Y-%m}", f"{month:%m/%Y}"))
        month = add_months(month, -1)
    due = tva_due(company=request.company, start=start, end=end)
    context = {"due": due, "value": value, "choices": choices}
    return render(request, "comptabilite/livres/tva.html", context)


@member_required(Perm.VIEW)
def comptes(request):
    """The account of each key: the company's own, else the chart of accounts' default."""
    can_edit = request.membership.has_perm(Perm.BOOKS)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        try:
            compte_modifier(
                company=request.company, key=request.POST.get("key", ""),
                number=request.POST.get("number", ""), label=request.POST.get("label", ""),
            )  # fmt: skip
        except ComptabiliteError as exc:
            messages.error(request, " ".join(exc.problems))
        else:
            messages.success(request, _("Compte enregistré."))
        return redirect("comptabilite:comptes")
    plan = Plan(request.company)
    rows = [{"key": key, "compte": plan[key], "own": key in plan.own} for key in mapping_keys()]
    return render(request, "comptabilite/livres/comptes.html", {"rows": rows, "can_edit": can_edit})


@member_required(Perm.EXPORT)
def fec(request):
    """The FEC page: choose a fiscal year and a form, export in the background, download."""
    period, years = _exercice(request)
    if request.method == "POST":
        label = request.POST.get("exercice", "")
        if label not in [p.label for p in years]:
            messages.error(request, _("Exercice invalide."))
            return redirect("comptabilite:fec")
        chosen = period_from_label(company=request.company, label=label)
        separator = request.POST.get("separator", "tab")
        encoding = request.POST.get("encoding", "iso-8859-15")
        if separator not in SEPARATORS or encoding not in ENCODINGS:
            messages.error(request, _("Format invalide."))
            return redirect("comptabilite:fec")
        run_id = uuid.uuid4().hex
        cache.set(fec_run_key(request.company.pk, run_id), {"state": "queued"}, 3600)
        fec_export_task.delay(
            request.company.pk, run_id, chosen.start.isoformat(), chosen.end.isoformat(),
            separator, encoding, request.user.pk,
        )  # fmt: skip
        return redirect(f"{reverse('comptabilite:fec')}?run={run_id}")
    run_id = request.GET.get("run", "")
    run = (
        cache.get(fec_run_key(request.company.pk, run_id))
        if re.fullmatch(r"[0-9a-f]{32}", run_id)
        else None
    )
    context = {
        "years": years, "period": period, "run_id": run_id, "run": run,
        "filename": fec_filename(request.company, period.end),
    }  # fmt: skip
    template = "comptabilite/livres/fec.html"
    if request.htmx:
        template += "#status"
    return render(request, template, context)


@require_safe
@member_required(Perm.EXPORT)
def fec_telecharger(request, run_id: str, which: str):
    """A finished export's file (or its description), for the company that ran it."""
    run = (
        cache.get(fec_run_key(request.company.pk, run_id))
        if re.fullmatch(r"[0-9a-f]{32}", run_id)
        else None
    )
    if not run or run.get("state") != "done" or which not in ("fec", "description"):
        raise Http404
    name = run["filename"] if which == "fec" else run["description"]
    path = fec_folder(request.company.pk, run_id) / name
    if not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)
