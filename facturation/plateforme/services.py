"""Writes of the e-invoicing platform: the connection, flows queued and submitted, statuses.

A flow is an intent written in the transaction of what makes it; `flux_soumettre` (the task's
service) talks to the platform outside any transaction and lock: it claims the flow, looks
it up by our tracking id if an earlier attempt may have reached the platform, submits it
otherwise, and records the platform's flow id. A flow is never submitted twice."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.models import Client
from facturation.activite import facture_activite
from facturation.exceptions import FactureError
from facturation.models import Facture, Kind, Status
from facturation.plateforme import hooks
from facturation.plateforme.client import (
    FlowAck,
    FlowRefused,
    LifecycleStatus,
    PlateformeError,
    Submission,
    WebhookEvent,
    plateforme_for,
)
from facturation.plateforme.models import (
    CodeStatut,
    ConnexionPlateforme,
    EtatFlux,
    FactureRecue,
    Flux,
    RoutageClient,
    SourceStatut,
    StatutFacture,
    TypeFlux,
)
from pgi.lignes.models import Nature
from pgi.models import Company
from pgi.money import ZERO, cents
from pgi.queue import publish, publish_after_commit
from pgi.secrets import encrypt
from pgi.totals import compute_totals, split_by_rate

# XP Z12-013 flow types.
FLOW_INVOICE = "CustomerInvoice"
FLOW_CUSTOMER_LC = "CustomerInvoiceLC"
FLOW_SUPPLIER_LC = "SupplierInvoiceLC"
# An attempt that holds its claim longer than this died (a killed worker): the sweeper
# publishes the flow again, and the next attempt looks it up by its tracking id first.
CLAIM_EXPIRY = timedelta(minutes=5)


class PlateformeErreur(FactureError):
    pass


# The connection -----------------------------------------------------------------------------


def connexion_active(company: Company) -> ConnexionPlateforme | None:
    return ConnexionPlateforme.objects.filter(company=company, active=True).first()


@transaction.atomic
def connexion_enregistrer(
    *, company: Company, active: bool, base_url: str, name: str = "", api_key: str = "",
    webhook_secret: str = "",
) -> ConnexionPlateforme:  # fmt: skip
    """Saves the company's platform connection; an empty secret keeps the one stored (the
    secrets are never shown back, so the form cannot send them again)."""
    connexion = ConnexionPlateforme.objects.select_for_update().filter(
        company=company
    ).first() or ConnexionPlateforme(company=company)
    api_key, webhook_secret, base_url = api_key.strip(), webhook_secret.strip(), base_url.strip()
    problems = []
    if active and not base_url:
        problems.append(_("Indiquez l'adresse de l'API de la plateforme."))
    if base_url and not base_url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        problems.append(_("L'adresse de l'API doit commencer par https://."))
    if active and not (api_key or connexion.api_key_encrypted or settings.EINVOICING_API_KEY):
        problems.append(_("Indiquez la clé d'API de la plateforme."))
    if active and not (
        webhook_secret or connexion.webhook_secret_encrypted or settings.EINVOICING_WEBHOOK_SECRET
    ):
        problems.append(_("Indiquez le secret de signature des webhooks."))
    if problems:
        raise PlateformeErreur(problems)
    connexion.active, connexion.base_url, connexion.name = active, base_url, name.strip()[:100]
    if api_key:
        connexion.api_key_encrypted = encrypt(api_key)
    if webhook_secret:
        connexion.webhook_secret_encrypted = encrypt(webhook_secret)
    connexion.save()
    return connexion


@transaction.atomic
def routage_modifier(*, client: Client, routing_code: str) -> RoutageClient:
    """The routing code a business customer gave, beside its SIREN (directory, scheme 0225)."""
    routage, _created = RoutageClient.objects.update_or_create(
        client=client,
        defaults={"company_id": client.company_id, "routing_code": routing_code.strip()[:100]},
    )
    return routage


# Sending an issued invoice -------------------------------------------------------------------


def is_e_invoiced(buyer: dict) -> bool:
    """A French business buyer is e-invoiced through the platform; a private customer or a
    foreign one is not: those sales go to e-reporting (LEGAL.md §3)."""
    country = (buyer.get("address", {}).get("country") or "FR").upper()
    return buyer.get("kind") == "entreprise" and country == "FR" and bool(buyer.get("siren"))


def facture_transmettre(facture: Facture) -> Flux | None:
    """Called in the transaction that issues `facture`: queues its Factur-X for the platform
    when the company has one and the buyer is a French business. Once only (the key)."""
    connexion = connexion_active(facture.company)
    if connexion is None or not is_e_invoiced(facture.buyer or {}):
        return None
    flux, created = Flux.objects.get_or_create(
        company=facture.company, key=f"facture:{facture.pk}",
        defaults={"kind": TypeFlux.INVOICE, "facture": facture},
    )  # fmt: skip
    if created:
        flux_publier(flux)
    return flux


def flux_publier(flux: Flux) -> None:
    """Publishes the flow's submission once the transaction commits."""
    from facturation.plateforme.tasks import submit_flux

    publish_after_commit(submit_flux, flux.pk)  # the sweeper covers a lost one


@transaction.atomic
def flux_relancer(*, company: Company, flux_id: int) -> Flux:
    """A flow the platform refused at submission (a customer missing from the directory) is
    tried again once the owner fixed the cause (its SIREN or routing code): the same flow,
    the same tracking id, the directory asked again."""
    flux = Flux.objects.select_for_update().filter(pk=flux_id, company=company).first()
    if flux is None or flux.state != EtatFlux.FAILED:
        raise PlateformeErreur(_("Ce flux n'est pas en erreur."))
    Flux.objects.filter(pk=flux.pk).update(state=EtatFlux.PENDING, routing="", error="")
    flux.refresh_from_db()
    flux_publier(flux)
    return flux


def _claim(flux_id: int) -> Flux | None:
    """Takes the flow for one attempt, in its own short transaction; None when there is
    nothing to do (already submitted or failed for good)."""
    with transaction.atomic():
        flux = (
            Flux.objects.select_for_update(of=("self",))
            .select_related("company", "facture", "facture__client", "facture_recue")
            .filter(pk=flux_id)
            .first()
        )
        if flux is None or flux.state != EtatFlux.PENDING:
            return None
        if flux.claimed_at and flux.claimed_at > timezone.now() - CLAIM_EXPIRY:
            return None  # another attempt is talking to the platform
        Flux.objects.filter(pk=flux.pk).update(
            attempts=F("attempts") + 1, claimed_at=timezone.now()
        )
        flux.attempts += 1
    return flux


def _submission(flux: Flux, plateforme) -> Submission:
    tracking = str(flux.tracking_id)
    if flux.kind == TypeFlux.INVOICE:
        from facturation.services.delivery import facture_pdf_generer

        facture = flux.facture
        assert facture is not None
        routing = flux.routing
        siren = (facture.buyer or {}).get("siren", "")
        if not routing:
            routage = RoutageClient.objects.filter(client_id=facture.client_id).first()
            routing = plateforme.lookup(siren, routage.routing_code if routage else "") or ""
            if not routing:
                raise FlowRefused(
                    _("Le client (SIREN %(s)s) est introuvable dans l'annuaire de la plateforme.")
                    % {"s": siren}
                )
            Flux.objects.filter(pk=flux.pk).update(routing=routing)
        pdf = facture_pdf_generer(facture_id=facture.pk)  # idempotent: the sealed PDF
        with pdf.file.open("rb") as handle:
            content = handle.read()
        return Submission(
            tracking_id=tracking, flow_type=FLOW_INVOICE, syntax="Factur-X",
            filename=f"{facture.number}.pdf", content=content, content_type="application/pdf",
            name=facture.number, routing=routing,
        )  # fmt: skip
    if flux.kind == TypeFlux.STATUS:
        flow_type = FLOW_CUSTOMER_LC if flux.facture_id else FLOW_SUPPLIER_LC
    else:  # e-reporting: its report's own type
        flow_type = str(flux.payload.get("flow_type", ""))
    return Submission(
        tracking_id=tracking, flow_type=flow_type,
        syntax="CDAR" if flux.kind == TypeFlux.STATUS else "FRR",
        filename=f"{flux.key.replace(':', '-')}.json",
        content=json.dumps(flux.payload, sort_keys=True).encode(),
        content_type="application/json", name=flux.key,
    )  # fmt: skip


def flux_soumettre(*, flux_id: int) -> Flux | None:
    """Submits a pending flow once. No lock is held during the calls; a platform that does not
    answer raises PlateformeError (the task retries); a refusal is recorded for the owner."""
    flux = _claim(flux_id)
    if flux is None:
        return None
    connexion = connexion_active(flux.company)
    if connexion is None:
        return None  # left pending until the company connects a platform
    plateforme = plateforme_for(connexion)
    try:
        # An earlier attempt may have reached the platform before its answer was lost: look
        # for our tracking id before submitting anything (XP Z12-013 trackingId).
        ack = plateforme.find(str(flux.tracking_id)) if flux.attempts > 1 else None
        if ack is None:
            ack = plateforme.submit(_submission(flux, plateforme))
    except FlowRefused as exc:
        Flux.objects.filter(pk=flux.pk, state=EtatFlux.PENDING).update(
            state=EtatFlux.FAILED, error=str(exc)[:2000], claimed_at=None
        )
        flux.refresh_from_db()
        return flux
    except PlateformeError as exc:
        # Released for the retry: it will look the flow up by its tracking id first.
        Flux.objects.filter(pk=flux.pk).update(claimed_at=None, error=str(exc)[:2000])
        raise
    return _submitted(flux, ack)


def _submitted(flux: Flux, ack: FlowAck) -> Flux:
    Flux.objects.filter(pk=flux.pk).update(
        state=EtatFlux.SUBMITTED, flow_id=ack.flow_id, error="",
        submitted_at=ack.submitted_at or timezone.now(), answer=ack.answer,
    )  # fmt: skip
    flux.refresh_from_db()
    return flux


# Statuses ------------------------------------------------------------------------------------


ICONS = {
    CodeStatut.DEPOSEE: "cloud-upload", CodeStatut.APPROUVEE: "check-circle",
    CodeStatut.REJETEE: "x-octagon", CodeStatut.REFUSEE: "hand-thumbs-down",
    CodeStatut.EN_LITIGE: "exclamation-triangle", CodeStatut.PAIEMENT_TRANSMIS: "send-check",
    CodeStatut.ENCAISSEE: "cash-coin",
}  # fmt: skip


def statut_activite(statut: StatutFacture) -> None:
    """An issued invoice's lifecycle status in its history and its customer's activity feed
    (pgi.activite), in the transaction that records it; the status's label is translated
    when read."""
    if statut.facture_id is None:
        return
    with translation.override(settings.LANGUAGE_CODE):  # the label's source text (msgid)
        label = str(CodeStatut(statut.code).label)
    reason = f" — {statut.reason}" if statut.reason else ""
    facture_activite(
        statut.facture,
        gettext_noop("Plateforme : %(s)s (%(c)s)%(r)s"),
        {"s": {"t": label}, "c": statut.code, "r": reason},
        icon=ICONS.get(statut.code, "cloud"),
        at=statut.at,
    )


def statut_enregistrer(
    *, company_id: int, status: LifecycleStatus, facture: Facture | None = None,
    facture_recue: FactureRecue | None = None, source: str = SourceStatut.PLATFORM,
    detail: dict | None = None,
) -> StatutFacture | None:  # fmt: skip
    """Records a lifecycle status once (by the platform's event id) and runs the handlers of
    the apps above (a dispute, a hold on dunning); None when it was already recorded."""
    if status.code not in CodeStatut.values:
        return None
    try:
        with transaction.atomic():
            statut = StatutFacture.objects.create(
                company_id=company_id, facture=facture, facture_recue=facture_recue,
                code=status.code, at=status.at, reason=status.reason[:500], source=source,
                event_id=status.event_id, detail=detail or {},
            )  # fmt: skip
            statut_activite(statut)
            hooks.status_recorded(statut)
    except IntegrityError:
        return None  # a replay: recorded already
    return statut


def _flux_of(connexion: ConnexionPlateforme, flow_id: str, tracking_id: str) -> Flux | None:
    flux = Flux.objects.filter(company_id=connexion.company_id, flow_id=flow_id).first()
    if flux is None and tracking_id:
        # The webhook overtook the submission's answer: the tracking id is ours already.
        flux = Flux.objects.filter(company_id=connexion.company_id, tracking_id=tracking_id).first()
        if flux is not None and not flux.flow_id:
            _submitted(flux, FlowAck(flow_id=flow_id))
    return flux


def evenement_traiter(*, connexion: ConnexionPlateforme, event: WebhookEvent) -> str:
    """Applies a verified webhook event: a status of one of our flows, or a new received
    invoice (fetched and read). Idempotent: a replay changes nothing."""
    if event.kind == "received":
        from facturation.plateforme.tasks import import_received

        # Fetched by a worker, not in the platform's request; the poller covers a lost one.
        publish(import_received, connexion.pk, event.flow_id)
        return "received"
    if event.status is None:
        return "ignored"
    flux = _flux_of(connexion, event.flow_id, event.tracking_id)
    if flux is not None and flux.kind == TypeFlux.INVOICE:
        statut_enregistrer(company_id=connexion.company_id, status=event.status,
                           facture=flux.facture)  # fmt: skip
        return "status"
    recue = FactureRecue.objects.filter(
        company_id=connexion.company_id, flow_id=event.flow_id
    ).first()
    if recue is not None:  # the supplier's side of an invoice we received
        statut_enregistrer(company_id=connexion.company_id, status=event.status,
                           facture_recue=recue)  # fmt: skip
        return "status"
    # The platform's acknowledgement of a status or a report we sent: kept on the flow.
    if flux is not None:
        Flux.objects.filter(pk=flux.pk).update(
            answer={**flux.answer, "status": event.status.code, "reason": event.status.reason}
        )
    return "ignored"


def flux_interroger(*, flux: Flux) -> int:
    """Polling: reads a submitted invoice's statuses from the platform (the webhooks lost
    are found again); the number of new ones."""
    connexion = connexion_active(flux.company)
    if connexion is None or not flux.flow_id or flux.facture_id is None:
        return 0
    info = plateforme_for(connexion).read(flux.flow_id)
    return sum(
        statut_enregistrer(company_id=flux.company_id, status=s, facture=flux.facture) is not None
        for s in info.statuses
    )


# "Encaissée" (212) ----------------------------------------------------------------------------


def encaissee_due(facture: Facture) -> bool:
    """Whether a payment on `facture` is reported "encaissée": an invoice sent through the
    platform, for services (a mixed invoice: its services' part) whose VAT is due when cashed
    (no debits option, no reverse charge, no franchise: VAT is then due on cashing, CGI art.
    269-2-c)."""
    if facture.kind == Kind.CREDIT_NOTE or facture.status != Status.ISSUED:
        return False
    if not Flux.objects.filter(facture=facture, kind=TypeFlux.INVOICE).exists():
        return False
    seller = facture.seller or {}
    if seller.get("vat_regime") != "normal":
        return False
    from pgi.mentions import vat_case

    if vat_case(seller, facture.buyer or {}) != "normal":
        return False
    return any(line.nature == Nature.SERVICE for line in facture.lines.all())


def part_services(
    facture: Facture, ventilation: list[dict], *, before: dict[Decimal, Decimal] | None = None
) -> list[dict]:
    """The services' part of an allocation split per VAT rate (`ventilation`, kept by
    `encaissement`): at each rate, the allocation's share times the services' share of that
    rate (base + VAT of the service lines over base + VAT of all its lines), split into base
    and VAT as `split_by_rate` does. Goods are taxed on delivery (CGI art. 269-2-a),
    services when cashed (art. 269-2-c): only the latter are reported "encaissée".

    Rounded on the cumulative amount: with `before` (what earlier allocations put on each
    rate), the part is round((before + share) × ratio) − round(before × ratio), so that the
    parts of an invoice paid in full add up to its services' total to the cent. A
    services-only invoice gives the allocation's split unchanged."""
    before = before or {}
    lines = list(facture.lines.all())
    whole = {b.rate: b for b in compute_totals(lines).breakdown}
    services = {
        b.rate: b
        for b in compute_totals([ln for ln in lines if ln.nature == Nature.SERVICE]).breakdown
    }
    parts = []
    for share in ventilation:
        rate = Decimal(share["rate"])
        of_rate, of_services = whole.get(rate), services.get(rate)
        if of_rate is None or of_services is None:
            continue
        gross, services_gross = of_rate.base + of_rate.vat, of_services.base + of_services.vat
        if services_gross == gross:
            parts.append(dict(share))
            continue
        ratio = services_gross / gross if gross else ZERO
        prior = before.get(rate, ZERO)
        amount = cents((prior + Decimal(share["amount"])) * ratio) - cents(prior * ratio)
        if amount:
            (part,) = split_by_rate(amount, [of_services])
            parts.append({"rate": share["rate"], "base": str(part.base), "vat": str(part.vat),
                          "amount": str(part.amount)})  # fmt: skip
    return parts


def encaissee_transmettre(
    *, facture: Facture, key: str, day: date, amount: Decimal, ventilation: list[dict],
    before: dict[Decimal, Decimal] | None = None,
) -> Flux | None:  # fmt: skip
    """Called in the transaction that records a payment allocation (`encaissement`): one
    "encaissée" (212) status with the date and the amount cashed per VAT rate, once per
    allocation (`key`), only when `encaissee_due`; for a mixed invoice, the services' part
    only (`part_services`, `before` being what earlier allocations put on each rate).
    Never called for a write-off or a credit-note offset, which are no cashing."""
    if amount <= 0 or not encaissee_due(facture):
        return None
    ventilation = part_services(facture, ventilation, before=before)
    amount = sum((Decimal(v["amount"]) for v in ventilation), ZERO)
    if amount <= 0:
        return None
    detail = {
        "invoice": facture.number, "status": CodeStatut.ENCAISSEE.value, "date": day.isoformat(),
        "amount": str(amount),
        "per_rate": [{"rate": v["rate"], "amount": v["amount"], "base": v["base"],
                      "vat": v["vat"]} for v in ventilation],
    }  # fmt: skip
    flux, created = Flux.objects.get_or_create(
        company_id=facture.company_id, key=f"212:{key}",
        defaults={"kind": TypeFlux.STATUS, "facture": facture,
                  "status_code": CodeStatut.ENCAISSEE, "payload": detail},
    )  # fmt: skip
    if created:
        _encaissee_statut(flux, day)
    return flux


def encaissee_corriger(*, facture: Facture, key: str, corrects: str, day: date) -> Flux | None:
    """Called in the transaction that reverses a payment (`encaissement.paiement_annuler`):
    the "encaissée" (212) sent for the allocation `corrects` is answered by a corrective 212
    of the opposite amounts per VAT rate, dated `day`, so that what the platform holds as
    cashed is right again; once (`key`); nothing when no 212 was sent for that allocation."""
    original = Flux.objects.filter(company_id=facture.company_id, key=f"212:{corrects}").first()
    if original is None:
        return None
    sent = original.payload

    def opposite(value: str) -> str:
        return str(-Decimal(value))

    detail = {
        **sent, "date": day.isoformat(), "amount": opposite(sent["amount"]),
        "per_rate": [{name: v[name] if name == "rate" else opposite(v[name]) for name in v}
                     for v in sent["per_rate"]],
        "corrects": str(original.tracking_id),
    }  # fmt: skip
    flux, created = Flux.objects.get_or_create(
        company_id=facture.company_id, key=f"212:{key}",
        defaults={"kind": TypeFlux.STATUS, "facture": facture,
                  "status_code": CodeStatut.ENCAISSEE, "payload": detail},
    )  # fmt: skip
    if created:
        _encaissee_statut(flux, day)
    return flux


def _encaissee_statut(flux: Flux, day: date) -> None:
    """The 212 in the invoice's history (the seller's own status), and the flow sent."""
    statut_activite(StatutFacture.objects.create(
        company_id=flux.company_id, facture_id=flux.facture_id, code=CodeStatut.ENCAISSEE,
        at=_at(day), source=SourceStatut.COMPANY, event_id=f"flux:{flux.tracking_id}",
        detail=flux.payload,
    ))  # fmt: skip
    flux_publier(flux)


def _at(day: date) -> datetime:
    now = timezone.localtime()
    return now if day == now.date() else timezone.make_aware(datetime.combine(day, now.time()))
