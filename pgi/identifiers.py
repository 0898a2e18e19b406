"""French and European identifiers: SIREN, SIRET, VAT numbers, IBAN and BIC.

Every check goes through python-stdnum or schwifty and raises a Django `ValidationError`
with a French message, so model fields, forms, the API and CSV imports share one rule.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret


def compact_siren(value: str) -> str:
    return fr_siren.compact(value or "")


def format_siren(value: str | None) -> str:
    """`123456789` → `123 456 789`; a SIRET keeps its NIC apart: `123 456 789 00012`
    (no-break spaces, so a number never wraps)."""
    value = (value or "").replace(" ", "")
    if len(value) not in (9, 14):
        return value
    return "\u00a0".join([value[0:3], value[3:6], value[6:9], value[9:]]).strip("\u00a0")


def _check(module, value: str, *, length: str, invalid: str, code: str) -> None:
    """Runs a python-stdnum check; a wrong length and a wrong key get their own message."""
    try:
        module.validate(value)
    except stdnum_errors.InvalidLength as exc:
        raise ValidationError(length, code=f"{code}_length") from exc
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(invalid, code=f"{code}_invalid") from exc


def validate_siren(value: str) -> None:
    _check(
        fr_siren, value, code="siren", length=_("Le SIREN doit comporter 9 chiffres."),
        invalid=_("Ce SIREN n'est pas valide (clé de contrôle incorrecte)."),
    )  # fmt: skip


def validate_siret(value: str) -> None:
    _check(
        fr_siret, value, code="siret", length=_("Le SIRET doit comporter 14 chiffres."),
        invalid=_("Ce SIRET n'est pas valide (clé de contrôle incorrecte)."),
    )  # fmt: skip


def validate_vat_number(value: str) -> None:
    try:
        eu_vat.validate(value)
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(
            _("Ce numéro de TVA intracommunautaire n'est pas valide."), code="vat_invalid"
        ) from exc


def vat_number_from_siren(siren: str) -> str:
    """The French intra-EU VAT number derived from a SIREN: FR + key + SIREN (CGI art. 286 ter)."""
    siren = compact_siren(siren)
    validate_siren(siren)
    return "FR" + fr_siren.to_tva(siren)


def validate_iban(value: str) -> None:
    try:
        IBAN(value)
    except SchwiftyException as exc:
        raise ValidationError(_("Cet IBAN n'est pas valide."), code="iban_invalid") from exc


def validate_bic(value: str) -> None:
    try:
        BIC(value)
    except SchwiftyException as exc:
        raise ValidationError(_("Ce BIC n'est pas valide."), code="bic_invalid") from exc


def normalize(value: str) -> str:
    """Identifiers are stored compact and upper-case: spaces, dots and dashes removed."""
    return "".join(ch for ch in (value or "") if ch.isalnum()).upper()
