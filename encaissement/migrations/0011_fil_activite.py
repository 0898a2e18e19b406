"""Writes the customer activity feed (pgi 0011) for what happened before it existed, from the
rows the invoice history used to read: issue and PDF seals, emails, credit notes, payments,
credit-note set-offs, reminders, disputes, promises, the customer's visits and online-payment
failures. From now on each service writes its own line (issue #20)."""

from django.db import migrations
from django.urls import reverse

STATES = {
    "envoyee": ("Envoyée", "envelope-exclamation"),
    "imprimer": ("Lettre à imprimer et envoyer", "printer"),
    "enregistree": ("Enregistrée", "briefcase"),
    "refusee": ("Refusée par le serveur de messagerie", "exclamation-octagon"),
    "incertaine": ("Envoi interrompu : à vérifier", "question-octagon"),
}
SOURCES = {"societe": "La société", "client": "Le client (page de paiement)"}
PROVIDER = {
    "traitement": ("Prélèvement SEPA de %(a)s en cours de traitement", "hourglass-split"),
    "echec": ("Paiement en ligne de %(a)s échoué", "x-octagon"),
    "annule": ("Prélèvement de %(a)s rejeté : paiement annulé", "x-octagon"),
}


def _eur(value) -> str:
    from pgi.money import format_eur

    return format_eur(value)


def backfill(apps, schema_editor):
    Facture = apps.get_model("facturation", "Facture")
    Envoi = apps.get_model("facturation", "Envoi")
    Enregistrement = apps.get_model("pgi", "Enregistrement")
    FilActivite = apps.get_model("pgi", "FilActivite")
    Affectation = apps.get_model("encaissement", "Affectation")
    Imputation = apps.get_model("encaissement", "Imputation")
    Relance = apps.get_model("encaissement", "Relance")
    Litige = apps.get_model("encaissement", "Litige")
    Promesse = apps.get_model("encaissement", "PromessePaiement")
    Consultation = apps.get_model("encaissement", "Consultation")
    EvenementPrestataire = apps.get_model("encaissement", "EvenementPrestataire")
    if FilActivite.objects.exists():
        return
    factures = {f.pk: f for f in Facture.objects.filter(status="emise")}
    by_number = {(f.company_id, f.number): f for f in factures.values()}
    rows = []

    def add(facture, at, famille, summary, params=None, icon="", user_id=None):
        rows.append(FilActivite(
            company_id=facture.company_id, client_id=facture.client_id, at=at, famille=famille,
            summary=summary, params=params or {}, icon=icon, reference=facture.number or "",
            url=reverse("facturation:facture_detail", args=[facture.pk]),
            objet_type="facturation.facture", objet_id=facture.pk, user_id=user_id,
        ))  # fmt: skip

    for record in Enregistrement.objects.exclude(reference="").iterator():
        facture = by_number.get((record.company_id, record.reference))
        if facture is None:
            continue
        if record.kind == "pdf":
            add(facture, record.recorded_at, "facture", "PDF produit, empreinte scellée (%(r)s)",
                {"r": f"#{record.sequence}"}, "file-earmark-pdf")  # fmt: skip
        else:
            add(facture, record.recorded_at, "facture",
                "Émise et scellée dans le registre (%(r)s)", {"r": f"#{record.sequence}"},
                "shield-lock")  # fmt: skip
    for envoi in Envoi.objects.all().iterator():
        if facture := factures.get(envoi.facture_id):
            add(facture, envoi.created_at, "facture", "Envoyée à %(to)s",
                {"to": envoi.recipients}, "envelope", envoi.created_by_id)  # fmt: skip
    for avoir in factures.values():
        if avoir.origin_id and (origin := factures.get(avoir.origin_id)):
            add(origin, avoir.issued_at, "facture", "Avoir %(n)s émis", {"n": avoir.number},
                "arrow-counterclockwise")  # fmt: skip
    for a in Affectation.objects.select_related("paiement").iterator():
        if facture := factures.get(a.facture_id):
            text = "Paiement de %(a)s reçu (%(n)s)" if a.amount > 0 else (
                "Paiement de %(a)s annulé (%(n)s)")  # fmt: skip
            add(facture, a.created_at, "paiement", text,
                {"a": _eur(abs(a.amount)), "n": a.paiement.number},
                "cash-coin" if a.amount > 0 else "x-circle", a.created_by_id)  # fmt: skip
    for i in Imputation.objects.select_related("avoir").iterator():
        params = {"n": i.avoir.number, "f": factures[i.facture_id].number, "a": _eur(i.amount)}
        add(factures[i.facture_id], i.created_at, "paiement", "Avoir %(n)s imputé : %(a)s", params,
            "arrow-left-right", i.created_by_id)  # fmt: skip
        for pk in (i.avoir_id, i.avoir.origin_id):
            if document := factures.get(pk):
                add(document, i.created_at, "paiement", "Avoir %(n)s imputé sur %(f)s : %(a)s",
                    params, "arrow-left-right", i.created_by_id)  # fmt: skip
    for r in Relance.objects.select_related("niveau").iterator():
        if r.state not in STATES or not (facture := factures.get(r.facture_id)):
            continue
        state, icon = STATES[r.state]
        summary, params = "%(n)s : %(s)s", {"n": r.niveau.name, "s": {"t": state}}
        if r.recipients:
            summary, params["to"] = summary + " · %(to)s", r.recipients
        if r.error:
            summary, params["e"] = summary + " · %(e)s", r.error
        if r.manual:
            summary, params["m"] = summary + " · %(m)s", {"t": "à la main"}
        add(facture, r.sent_at or r.created_at, "relance", summary, params, icon, r.created_by_id)
    for litige in Litige.objects.iterator():
        if facture := factures.get(litige.facture_id):
            add(
                facture,
                litige.opened_at,
                "litige",
                "Litige ouvert (%(by)s) : %(r)s",
                {"by": {"t": SOURCES.get(litige.source, "")}, "r": litige.reason},
                "flag",
            )
            if litige.resolved_at:
                add(facture, litige.resolved_at, "litige", "Litige résolu : %(n)s",
                    {"n": litige.resolution_note or "—"}, "flag-fill")  # fmt: skip
    for p in Promesse.objects.iterator():
        if facture := factures.get(p.facture_id):
            add(facture, p.created_at, "litige",
                "Promesse de paiement de %(a)s pour le %(d)s (%(by)s)",
                {"a": _eur(p.amount), "d": p.date.strftime("%d/%m/%Y"),
                 "by": {"t": SOURCES.get(p.source, "")}}, "calendar-check")  # fmt: skip
    for c in Consultation.objects.iterator():
        if facture := factures.get(c.facture_id):
            add(facture, c.at, "facture", "Consultée par le client", None, "eye")
    events = EvenementPrestataire.objects.filter(outcome__in=list(PROVIDER)).select_related(
        "session"
    )
    for e in events.iterator():
        if e.session is not None and (facture := factures.get(e.session.facture_id)):
            text, icon = PROVIDER[e.outcome]
            add(facture, e.received_at, "paiement", text, {"a": _eur(e.session.amount)}, icon)
    StatutFacture = apps.get_model("facturation", "StatutFacture")
    from django.conf import settings
    from django.utils import translation

    from facturation.plateforme.models import CodeStatut
    from facturation.plateforme.services import ICONS

    with translation.override(settings.LANGUAGE_CODE):
        labels = {code: str(label) for code, label in CodeStatut.choices}
    for st in StatutFacture.objects.filter(facture__isnull=False).iterator():
        if facture := factures.get(st.facture_id):
            add(facture, st.at, "facture", "Plateforme : %(s)s (%(c)s)%(r)s",
                {"s": {"t": labels.get(st.code, st.code)}, "c": st.code,
                 "r": f" — {st.reason}" if st.reason else ""},
                ICONS.get(st.code, "cloud"))  # fmt: skip
    FilActivite.objects.bulk_create(rows, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("encaissement", "0010_transfer_paying_several_invoices"),
        ("facturation", "0012_plateforme_never_deleted"),
        ("pgi", "0013_fil_activite"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
