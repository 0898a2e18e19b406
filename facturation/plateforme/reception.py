"""Supplier invoices received through the platform: fetched, read (the Factur-X/CII XML,
with the `factur-x` library and lxml), checked for duplicates; the owner approves, refuses
with a reason (the status goes back through the platform), marks them paid."""

import logging
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from facturation.plateforme.client import plateforme_for
from facturation.plateforme.models import (
    CodeStatut,
    ConnexionPlateforme,
    EtatFactureRecue,
    FactureRecue,
    Flux,
    SourceStatut,
    StatutFacture,
    TypeFlux,
)
from pgi.exceptions import DomainError
from pgi.models import User

logger = logging.getLogger(__name__)
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


class ReceptionError(DomainError):
    pass


def _text(tree, path: str) -> str:
    found = tree.xpath(path, namespaces=NS)
    return (found[0].text or "").strip() if found else ""


def _date(value: str) -> date | None:
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8])) if value else None
    except ValueError:
        return None


def _amount(value: str) -> Decimal:
    try:
        return Decimal(value or "0").quantize(Decimal("0.01"))
    except InvalidOperation:
        return Decimal("0")


def read_invoice(data: bytes) -> tuple[dict, str]:
    """The fields of a Factur-X PDF or a bare CII XML: (fields, xml text)."""
    if data.lstrip().startswith(b"%PDF"):
        from facturx import get_facturx_xml_from_pdf

        _name, xml = get_facturx_xml_from_pdf(data, check_xsd=False)
        if not xml:
            raise ReceptionError(_("Ce PDF ne contient pas de facture Factur-X."))
    else:
        xml = data
    try:
        tree = etree.fromstring(
            xml, parser=etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError as exc:
        raise ReceptionError(_("Le XML de la facture est illisible.")) from exc
    document = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument"
    seller = "//ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty"
    totals = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    fields = {
        "number": _text(tree, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID"),
        "type_code": _text(tree, "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode")
        or "380",
        "issue_date": _date(_text(tree, f"{document}/ram:IssueDateTime/udt:DateTimeString")),
        "supplier_name": _text(tree, f"{seller}/ram:Name"),
        "supplier_siren": _text(tree, f"{seller}/ram:SpecifiedLegalOrganization/ram:ID")[:9],
        "supplier_vat_number": _text(
            tree, f"{seller}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"
        )[:20],
        "currency": _text(tree, "//ram:InvoiceCurrencyCode")[:3] or "EUR",
        "total_excl_vat": _amount(_text(tree, f"{totals}/ram:TaxBasisTotalAmount")),
        "total_vat": _amount(_text(tree, f"{totals}/ram:TaxTotalAmount")),
        "total_incl_vat": _amount(_text(tree, f"{totals}/ram:GrandTotalAmount")),
        "due_date": _date(
            _text(tree, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString")
        ),
    }  # fmt: skip
    if not fields["number"] or not fields["supplier_name"]:
        raise ReceptionError(_("La facture reçue n'indique pas son numéro ou son fournisseur."))
    return fields, xml.decode("utf-8", errors="replace")


def recue_enregistrer(*, company_id: int, flow_id: str, data: bytes,
                      filename: str = "") -> FactureRecue | None:  # fmt: skip
    """Records a received invoice once (by its flow id); a second invoice of the same supplier
    and number is kept, marked as a duplicate of the first, for the owner to refuse."""
    if FactureRecue.objects.filter(company_id=company_id, flow_id=flow_id).exists():
        return None
    fields, xml = read_invoice(data)
    same = Q(number=fields["number"]) & (
        Q(supplier_siren=fields["supplier_siren"])
        if fields["supplier_siren"] else Q(supplier_name=fields["supplier_name"])
    )  # fmt: skip
    try:
        with transaction.atomic():
            recue = FactureRecue(company_id=company_id, flow_id=flow_id, xml=xml, **fields)
            recue.duplicate_of = (
                FactureRecue.objects.filter(same, company_id=company_id).order_by("pk").first()
            )
            if data.lstrip().startswith(b"%PDF"):
                recue.file.save(filename or f"{flow_id}.pdf", ContentFile(data), save=False)
            recue.save()
    except IntegrityError:
        return None  # the same flow, recorded meanwhile by the webhook or the poller
    return recue


def recue_importer(*, connexion: ConnexionPlateforme, flow_id: str) -> FactureRecue | None:
    """Fetches a received flow from the platform and records it (outside any transaction)."""
    if FactureRecue.objects.filter(company_id=connexion.company_id, flow_id=flow_id).exists():
        return None
    data = plateforme_for(connexion).download(flow_id)
    try:
        return recue_enregistrer(company_id=connexion.company_id, flow_id=flow_id, data=data)
    except ReceptionError:
        logger.warning("received flow %s could not be read", flow_id, exc_info=True)
        return None


def recues_interroger(*, connexion: ConnexionPlateforme) -> int:
    """Polling: the supplier invoices received since the last poll."""
    started = timezone.now()
    count = 0
    for flow_id in plateforme_for(connexion).received_since(connexion.polled_at):
        count += recue_importer(connexion=connexion, flow_id=flow_id) is not None
    ConnexionPlateforme.objects.filter(pk=connexion.pk).update(polled_at=started)
    return count


def _status_back(recue: FactureRecue, code: str, reason: str = "", **extra) -> None:
    """The buyer's status on a received invoice, recorded and queued for the platform."""
    from facturation.plateforme.services import flux_publier

    payload = {"invoice": recue.number, "supplier": recue.supplier_siren, "flowId": recue.flow_id,
               "status": code, "reason": reason, **extra}  # fmt: skip
    flux, created = Flux.objects.get_or_create(
        company_id=recue.company_id, key=f"{code}:recue:{recue.pk}",
        defaults={"kind": TypeFlux.STATUS, "facture_recue": recue, "status_code": code,
                  "payload": payload},
    )  # fmt: skip
    if created:
        StatutFacture.objects.create(
            company_id=recue.company_id, facture_recue=recue, code=code, at=timezone.now(),
            reason=reason[:500], source=SourceStatut.COMPANY,
            event_id=f"flux:{flux.tracking_id}",
        )  # fmt: skip
        flux_publier(flux)


def _locked(recue: FactureRecue) -> FactureRecue:
    return FactureRecue.objects.select_for_update().get(pk=recue.pk)


@transaction.atomic
def recue_approuver(*, recue: FactureRecue, user: User | None) -> FactureRecue:
    """Approves a received invoice ("approuvée", 205, goes back to the supplier)."""
    recue = _locked(recue)
    if recue.state != EtatFactureRecue.RECEIVED:
        raise ReceptionError(_("Cette facture a déjà été traitée."))
    recue.state, recue.decided_by, recue.decided_at = (
        EtatFactureRecue.APPROVED,
        user,
        timezone.now(),
    )
    recue.save(update_fields=["state", "decided_by", "decided_at"])
    _status_back(recue, CodeStatut.APPROUVEE)
    return recue


@transaction.atomic
def recue_refuser(*, recue: FactureRecue, user: User | None, reason: str) -> FactureRecue:
    """Refuses a received invoice with a reason ("refusée", 210, goes back to the supplier,
    who must issue a credit note)."""
    reason = reason.strip()
    if not reason:
        raise ReceptionError(_("Indiquez le motif du refus."))
    recue = _locked(recue)
    if recue.state != EtatFactureRecue.RECEIVED:
        raise ReceptionError(_("Cette facture a déjà été traitée."))
    recue.state, recue.decided_by, recue.decided_at = EtatFactureRecue.REFUSED, user, timezone.now()
    recue.refusal_reason = reason[:500]
    recue.save(update_fields=["state", "decided_by", "decided_at", "refusal_reason"])
    _status_back(recue, CodeStatut.REFUSEE, reason)
    return recue


@transaction.atomic
def recue_payer(*, recue: FactureRecue, user: User | None, day: date) -> FactureRecue:
    """Marks an approved invoice paid ("paiement transmis", 211, to the supplier)."""
    recue = _locked(recue)
    if recue.state != EtatFactureRecue.APPROVED:
        raise ReceptionError(_("Seule une facture approuvée peut être marquée payée."))
    if recue.paid_on is not None:
        raise ReceptionError(_("Cette facture est déjà marquée payée."))
    if day > timezone.localdate():
        raise ReceptionError(_("La date de paiement ne peut pas être dans le futur."))
    recue.paid_on = day
    recue.save(update_fields=["paid_on"])
    _status_back(recue, CodeStatut.PAIEMENT_TRANSMIS, date=day.isoformat(),
                 amount=str(recue.total_incl_vat))  # fmt: skip
    return recue
