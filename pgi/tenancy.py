"""The current company: chosen per session, checked against the user's memberships.

`request.membership` and `request.company` are set for every authenticated request.
Views ask for a permission with `member_required`; another company's rows are out of
reach because every query goes through `Model.objects.for_company(request.company)`.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject

from pgi.models import Membership
from pgi.permissions import Perm

SESSION_KEY = "company_id"


def memberships_of(user) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user)
        .select_related("company")
        .order_by("company__legal_name")
    )


def resolve_membership(request) -> Membership | None:
    if not request.user.is_authenticated:
        return None
    wanted = request.session.get(SESSION_KEY)
    memberships = Membership.objects.filter(user=request.user).select_related("company")
    membership = None
    if wanted:
        membership = memberships.filter(company_id=wanted).first()
    if membership is None:
        membership = memberships.order_by("company__legal_name").first()
        if membership is not None:
            request.session[SESSION_KEY] = membership.company_id
    return membership


def switch_company(request, company_id: int) -> Membership:
    """Makes `company_id` the current company; a company the user is not in is a 404."""
    membership = (
        Membership.objects.select_related("company")
        .filter(user=request.user, company_id=company_id)
        .first()
    )
    if membership is None:
        raise Http404
    request.session[SESSION_KEY] = membership.company_id
    request.membership = membership
    request.company = membership.company
    return membership


class CurrentCompanyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not hasattr(request, "membership"):
            request.membership = SimpleLazyObject(lambda: resolve_membership(request))
            request.company = SimpleLazyObject(
                lambda: request.membership.company if request.membership else None
            )
        return self.get_response(request)


def member_required(perm: Perm = Perm.VIEW) -> Callable:
    """Logged in, member of a company, and holding `perm` there (else 403)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.membership:
                return redirect("company_create")
            if not request.membership.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_perm = perm
        return wrapper

    return decorator


def company_context(request) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    membership = request.membership or None
    return {
        "current_membership": membership,
        "current_company": membership.company if membership else None,
        "user_memberships": SimpleLazyObject(lambda: memberships_of(request.user)),
        "perms_current": _PermsProxy(membership),
    }


class _PermsProxy:
    """`{% if perms_current.commercial_write %}` in templates."""

    def __init__(self, membership: Membership | None):
        self.membership = membership

    def __getattr__(self, name: str) -> bool:
        if self.membership is None:
            return False
        try:
            perm = Perm[name.upper()]
        except KeyError:
            return False
        return self.membership.has_perm(perm)
