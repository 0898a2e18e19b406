import pytest
from django.core.exceptions import ValidationError

from pgi.identifiers import (
    validate_bic,
    validate_iban,
    validate_siren,
    validate_siret,
    validate_vat_number,
    vat_number_from_siren,
)


def test_valid_siren_passes():
    validate_siren("552081317")


@pytest.mark.parametrize(
    ("value", "message"),
    [("552081318", "clé de contrôle"), ("55208131", "9 chiffres"), ("ABCDEFGHI", "")],
)
def test_invalid_siren_is_refused_in_french(value, message):
    with pytest.raises(ValidationError) as exc:
        validate_siren(value)
    assert "SIREN" in exc.value.messages[0]
    assert message in exc.value.messages[0]


def test_siret_checks_its_luhn_key():
    validate_siret("55208131700018")
    with pytest.raises(ValidationError, match="SIRET"):
        validate_siret("55208131700019")


def test_vat_number_is_derived_from_the_siren():
    assert vat_number_from_siren("552 081 317") == "FR03552081317"
    validate_vat_number("FR03552081317")
    with pytest.raises(ValidationError, match="TVA"):
        validate_vat_number("FR99552081317")


def test_iban_and_bic_are_checked_by_schwifty():
    validate_iban("FR7630006000011234567890189")
    validate_bic("AGRIFRPP")
    with pytest.raises(ValidationError, match="IBAN"):
        validate_iban("FR7630006000011234567890188")
    with pytest.raises(ValidationError, match="BIC"):
        validate_bic("XX")
