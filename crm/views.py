import io

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from crm import directory, importing, portail, selectors, services
from crm.forms import ClientForm, ContactForm, ImportForm
from crm.models import Client, ClientKind, ClientStatus, Contact
from crm.panels import client_panels
from pgi.activite import fil_client_page
from pgi.events import client_ip, event_record
from pgi.exceptions import DomainError
from pgi.forms_utils import add_domain_errors
from pgi.models import EventKind, FamilleActivite
from pgi.pagination import KeyPaginator
from pgi.permissions import Perm
from pgi.tenancy import member_required

PAGE_SIZE = 25
IMPORT_SESSION_KEY = "crm_import_csv"
IMPORT_MAPPING_KEY = "crm_import_mapping"
IMPORT_HEADERS_KEY = "crm_import_headers"


def _client_or_404(request, pk: int) -> Client:
    try:
        return selectors.client_lire(company=request.company, pk=pk)
    except Client.DoesNotExist as exc:
        raise Http404 from exc


@member_required(Perm.VIEW)
def client_list(request):
    search = request.GET.get("q", "")
    status = request.GET.get("statut", "")
    clients = selectors.client_lister(company=request.company, search=search, status=status)
    page = KeyPaginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "q": search, "statut": status, "statuses": ClientStatus.choices}
    template = "crm/client_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


PICKER_SIZE = 20


@member_required(Perm.VIEW)
def client_picker(request):
    """htmx: the first customers matching a search, as the options of the customer picker
    (crm.widgets.ClientPicker)."""
    search = request.GET.get("q") or next(
        (value for key, value in request.GET.items() if key.endswith("_recherche")), ""
    )
    clients = selectors.client_lister(company=request.company, search=search)
    found = list(clients.only("pk", "name", "billing_city", "siren", "status")[: PICKER_SIZE + 1])
    context = {"clients": found[:PICKER_SIZE], "more": len(found) > PICKER_SIZE, "q": search}
    return render(request, "crm/_client_picker_options.html", context)


def _client_form_view(request, *, client: Client | None):
    initial, verification = {}, None
    if client is None and (siren := request.GET.get("annuaire", "")).isdigit():
        # Typed by the user and looked up in the public directory (crm.directory).
        verification = directory.entreprise_verifier(siren)
        if found := verification.entreprise:
            initial = {
                "kind": ClientKind.COMPANY, "name": found.name, "siren": found.siren,
                "siret": found.siret, "legal_form": found.legal_form, "naf_code": found.naf_code,
                "billing_line1": found.address_line1, "billing_line2": found.address_line2,
                "billing_postal_code": found.postal_code, "billing_city": found.city,
            }  # fmt: skip
    if client is None:
        initial.setdefault("owner", request.user.pk)
    form = ClientForm(
        request.POST or None, instance=client, initial=initial, company=request.company
    )
    validate_only = request.htmx and request.POST.get("_validate")
    if request.method == "POST" and form.is_valid():
        try:
            if validate_only:
                probe = client or Client(company=request.company)
                for name, value in form.cleaned_data.items():
                    setattr(probe, name, value)
                probe.company = request.company
                services.client_valider(probe)
            elif client is None:
                client = services.client_creer(company=request.company, fields=form.cleaned_data)
                messages.success(request, _("Client « %(n)s » créé.") % {"n": client.name})
                return redirect(client)
            else:
                services.client_modifier(client=client, fields=form.cleaned_data)
                messages.success(request, _("Client « %(n)s » enregistré.") % {"n": client.name})
                return redirect(client)
        except DomainError as exc:
            add_domain_errors(form, exc)
    template = "crm/client_form.html"
    if validate_only:
        template += "#form_errors"
    context = {"form": form, "client": client, "verification": verification}
    return render(request, template, context)


@member_required(Perm.VIEW)
def client_annuaire(request):
    """htmx: the companies of the public directory matching a SIREN, SIRET or name."""
    query = request.GET.get("q", "")
    entreprises, available = directory.entreprises_rechercher(query)
    context = {"entreprises": entreprises, "available": available, "q": query}
    return render(request, "crm/_annuaire_results.html", context)


@member_required(Perm.VIEW)
def client_verification(request, pk: int):
    """htmx: what the public directory and the BODACC say of this customer now."""
    client = _client_or_404(request, pk)
    verification = directory.entreprise_verifier(client.siren) if client.siren else None
    return render(request, "crm/_verification.html", {"verification": verification})


@member_required(Perm.COMMERCIAL_WRITE)
def client_create(request):
    return _client_form_view(request, client=None)


@member_required(Perm.COMMERCIAL_WRITE)
def client_update(request, pk: int):
    return _client_form_view(request, client=_client_or_404(request, pk))


def _fil_context(request, client: Client) -> dict:
    famille = request.GET.get("type", "")
    before = None
    if cursor := request.GET.get("avant", ""):
        at, _sep, pk = cursor.rpartition("_")
        parsed = parse_datetime(at.replace(" ", "+"))  # a "+" read from an unencoded URL
        if parsed is not None and pk.isdigit():
            before = (parsed, int(pk))
    lignes, nxt = fil_client_page(
        company=request.company, client_id=client.pk, famille=famille, before=before
    )
    return {
        "fil": lignes,
        "fil_next": f"{nxt[0].isoformat()}_{nxt[1]}" if nxt else "",
        "fil_type": famille,
        "familles": FamilleActivite.choices,
    }


@member_required(Perm.VIEW)
def client_detail(request, pk: int):
    client = _client_or_404(request, pk)
    context = {
        "client": client,
        "contacts": client.contacts.all(),
        "panels": client_panels(request, client),  # invoices... (crm.panels)
        "opportunites": client.opportunites.select_related("etape").order_by("-created_at")[:20],
        "portail": client.acces_portail.filter(
            revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).first(),
        **_fil_context(request, client),
    }
    return render(request, "crm/client_detail.html", context)


@member_required(Perm.VIEW)
def client_fil(request, pk: int):
    """The customer's activity feed (htmx: filtered by kind, or its next page)."""
    client = _client_or_404(request, pk)
    template = "crm/client_detail.html#fil" if not request.GET.get("avant") else "crm/_fil.html"
    if not request.htmx:
        return redirect(client)
    return render(request, template, {"client": client, **_fil_context(request, client)})


@member_required(Perm.COMMERCIAL_WRITE)
def contact_edit(request, pk: int, contact_pk: int | None = None):
    client = _client_or_404(request, pk)
    contact = get_object_or_404(Contact, pk=contact_pk, client=client) if contact_pk else None
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            if contact is None:
                services.contact_creer(client=client, fields=form.cleaned_data)
            else:
                services.contact_modifier(contact=contact, fields=form.cleaned_data)
            messages.success(request, _("Contact enregistré."))
            return redirect(client)
        except DomainError as exc:
            add_domain_errors(form, exc)
    return render(
        request, "crm/contact_form.html", {"form": form, "client": client, "contact": contact}
    )


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def contact_delete(request, pk: int, contact_pk: int):
    client = _client_or_404(request, pk)
    contact = get_object_or_404(Contact, pk=contact_pk, client=client)
    services.contact_supprimer(contact=contact)
    messages.success(request, _("Contact supprimé."))
    return redirect(client)


@member_required(Perm.COMMERCIAL_WRITE)
def client_import(request):
    """Step 1: upload and preview; the columns can be mapped again (`remap`); step 2
    (`confirm`): import the valid rows, with the mapping shown."""
    form = ImportForm()
    preview = None
    remapped = False
    if request.method == "POST" and ("confirm" in request.POST or "remap" in request.POST):
        text = request.session.get(IMPORT_SESSION_KEY)
        if not text:
            messages.error(request, _("L'aperçu a expiré : déposez le fichier à nouveau."))
            return redirect("crm:client_import")
        mapping = request.session.get(IMPORT_MAPPING_KEY)
        try:
            if "remap" in request.POST:
                headers = request.session.get(IMPORT_HEADERS_KEY, [])
                mapping = {h: request.POST.get(f"col-{i}", "") for i, h in enumerate(headers)}
                preview = importing.clients_previsualiser(
                    company=request.company, text=text, mapping=mapping
                )
                request.session[IMPORT_MAPPING_KEY] = preview.mapping
                remapped = True
            else:
                created, skipped = importing.clients_importer(
                    company=request.company, text=text, mapping=mapping
                )
                for key in (IMPORT_SESSION_KEY, IMPORT_MAPPING_KEY, IMPORT_HEADERS_KEY):
                    request.session.pop(key, None)
                messages.success(
                    request,
                    _("%(c)d client(s) importé(s), %(s)d ligne(s) ignorée(s).")
                    % {"c": created, "s": skipped},
                )
                return redirect("crm:client_list")
        except DomainError as exc:
            messages.error(request, " ".join(exc.problems))
            if "confirm" in request.POST:
                return redirect("crm:client_import")
            preview = importing.clients_previsualiser(
                company=request.company, text=text, mapping=request.session.get(IMPORT_MAPPING_KEY)
            )
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                text = importing.decode(form.cleaned_data["file"].read())
                preview = importing.clients_previsualiser(company=request.company, text=text)
                request.session[IMPORT_SESSION_KEY] = text
                request.session[IMPORT_MAPPING_KEY] = preview.mapping
                request.session[IMPORT_HEADERS_KEY] = preview.headers
            except DomainError as exc:
                add_domain_errors(form, exc)
    context = {"form": form, "preview": preview, "remapped": remapped}
    if preview is not None:
        context["mapping_rows"] = [(h, preview.mapping.get(h, "")) for h in preview.headers]
        context["targets"] = importing.target_choices()
    return render(request, "crm/client_import.html", context)


@member_required(Perm.EXPORT)
def client_export(request):
    clients = selectors.client_lister(
        company=request.company,
        search=request.GET.get("q", ""),
        status=request.GET.get("statut", ""),
    )

    def rows():
        yield "\ufeff"  # a BOM so that Excel reads UTF-8 accents
        buffer = io.StringIO()
        yield from importing.clients_exporter(clients=clients.iterator(chunk_size=2000), out=buffer)

    filename = f"clients-{timezone.localdate():%Y%m%d}.csv"
    event_record(
        kind=EventKind.EXPORT, company=request.company, user=request.user,
        summary=gettext_noop("Export CSV des clients (%(file)s)"), params={"file": filename},
        ip=client_ip(request),
    )  # fmt: skip
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@member_required(Perm.VIEW)
def import_template(request):
    header = ";".join(h for h, _f in importing.EXPORT_COLUMNS)
    example = ";".join(
        ["Boulangerie Martin", "entreprise", "client", "552081317", "", "", "contact@exemple.fr"]
        + ["0102030405", "1 rue de la Paix", "", "75002", "Paris", "FR", "30", ""]
    )
    response = HttpResponse(
        "\ufeff" + header + "\r\n" + example + "\r\n", content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="modele-import-clients.csv"'
    return response


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def client_portail_envoyer(request, pk: int):
    """Emails the customer a link to its portal (on its request)."""
    client = _client_or_404(request, pk)
    try:
        acces = portail.portail_lien_envoyer(client=client, user=request.user)
        messages.success(
            request, _("Lien vers l'espace client envoyé à %(e)s.") % {"e": acces.email}
        )
    except DomainError as exc:
        messages.error(request, " ".join(exc.problems))
    return redirect(client)


@require_POST
@member_required(Perm.COMMERCIAL_WRITE)
def client_portail_revoquer(request, pk: int):
    client = _client_or_404(request, pk)
    count = portail.portail_revoquer(client=client, user=request.user)
    messages.success(request, _("%(n)d lien(s) vers l'espace client révoqué(s).") % {"n": count})
    return redirect(client)
