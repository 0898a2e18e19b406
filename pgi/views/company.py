"""The company: switcher, creation, settings, members and API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pgi import services
from pgi.exceptions import DomainError
from pgi.forms import (
    ApiTokenForm,
    CompanyCreateForm,
    CompanyForm,
    InvitationForm,
    MembershipRoleForm,
)
from pgi.forms_utils import add_domain_errors
from pgi.models import ApiToken, Invitation, Membership
from pgi.permissions import Perm
from pgi.tenancy import member_required, switch_company


@require_POST
@login_required
def company_switch(request):
    try:
        company_id = int(request.POST.get("company", ""))
    except ValueError:
        company_id = 0
    membership = switch_company(request, company_id)
    messages.info(request, _("Société active : %(c)s") % {"c": membership.company.display_name})
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return redirect(next_url)


@login_required
def company_create(request):
    # The first company is step 2 of sign-up: it leads to the dashboard's first-run checklist.
    first = not request.user.memberships.exists()
    form = CompanyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_create(owner=request.user, fields=form.cleaned_data)
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            switch_company(request, company.pk)
            if first:
                messages.success(request, _("Bienvenue ! Voici vos premiers pas."))
                return redirect("home")
            messages.success(request, _("Société créée : complétez ses mentions légales."))
            return redirect("company_settings")
    return render(request, "pgi/company_create.html", {"form": form, "first": first})


@member_required(Perm.VIEW)
def company_settings(request):
    company = request.company
    can_edit = request.membership.has_perm(Perm.SETTINGS_MANAGE)
    form = CompanyForm(request.POST or None, request.FILES or None, instance=company)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.company_update(
                    company=company, fields=form.cleaned_data, user=request.user
                )
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, _("Paramètres de la société enregistrés."))
                return redirect("company_settings")
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    return render(request, "pgi/company_settings.html", {"form": form, "can_edit": can_edit})


@member_required(Perm.MEMBERS_MANAGE)
def members(request):
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_send(
                company=request.company,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(
                request, _("Invitation envoyée à %(e)s.") % {"e": form.cleaned_data["email"]}
            )
            return redirect("members")
    context = {
        "form": form,
        "memberships": Membership.objects.filter(company=request.company)
        .select_related("user")
        .order_by("user__email"),
        "invitations": Invitation.objects.filter(company=request.company, accepted_at__isnull=True),
        "role_form": MembershipRoleForm(),
    }
    return render(request, "pgi/members.html", context)


@require_POST
@member_required(Perm.MEMBERS_MANAGE)
def member_role(request, pk: int):
    membership = get_object_or_404(Membership, pk=pk, company=request.company)
    form = MembershipRoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_change_role(
                membership=membership, role=form.cleaned_data["role"], user=request.user
            )
            messages.success(request, _("Rôle mis à jour."))
        except DomainError as exc:
            messages.error(request, " ".join(exc.problems))
    return redirect("members")


@require_POST
@member_required(Perm.MEMBERS_MANAGE)
def invitation_cancel(request, pk: int):
    get_object_or_404(Invitation, pk=pk, company=request.company, accepted_at__isnull=True).delete()
    messages.success(request, _("Invitation annulée."))
    return redirect("members")


@member_required(Perm.API_TOKENS)
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    created_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, created_secret = services.api_token_create(
                membership=request.membership, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            form = ApiTokenForm()
    tokens = ApiToken.objects.filter(membership=request.membership)
    return render(
        request,
        "pgi/api_tokens.html",
        {"form": form, "tokens": tokens, "created_secret": created_secret},
    )


@require_POST
@member_required(Perm.API_TOKENS)
def api_token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, membership=request.membership)
    services.api_token_revoke(token=token)
    messages.success(request, _("Jeton « %(n)s » révoqué.") % {"n": token.name})
    return redirect("api_tokens")
