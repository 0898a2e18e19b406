"""The columns of a document line, shared by every commercial document (quote, invoice...).

A concrete line (`facturation.LigneFacture`) inherits `LigneDocument` and adds only what ties
it to its document: the document itself, its position, the catalogue article, its own links.
What each column means elsewhere (API, editor, snapshot) is described once in `pgi.lignes.spec`.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class VatRate(models.TextChoices):
    # Stored as text so that a choice is an exact decimal, never a float.
    NORMAL = "20.00", _("20 %")
    INTERMEDIATE = "10.00", _("10 %")
    REDUCED = "5.50", _("5,5 %")
    SUPER_REDUCED = "2.10", _("2,1 %")
    ZERO = "0.00", _("0 % (exonéré)")


VAT_RATE_CHOICES = [(Decimal(value), label) for value, label in VatRate.choices]


# No docstrings on the two enums below: the API publishes them, and pydantic would add a
# docstring to their OpenAPI schema.
class Nature(models.TextChoices):
    GOODS = "bien", _("Livraison de biens")
    SERVICE = "service", _("Prestation de services")


class Unit(models.TextChoices):
    UNIT = "unité", _("unité")
    HOUR = "heure", _("heure")
    DAY = "jour", _("jour")
    FLAT = "forfait", _("forfait")
    KG = "kg", _("kg")
    METRE = "m", _("m")
    SQUARE_METRE = "m²", _("m²")
    LITRE = "l", _("litre")


class ChampsArticle(models.Model):
    """What a catalogue article and a document line both say of what is sold: designation,
    unit, price, VAT, nature. An article (`facturation.Article`) is these columns alone; a
    line adds its quantity and discount (`LigneDocument`)."""

    designation = models.CharField(_("désignation"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(_("unité"), max_length=10, choices=Unit, default=Unit.UNIT)
    unit_price = models.DecimalField(
        _("prix unitaire HT"), max_digits=14, decimal_places=4, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip
    vat_rate = models.DecimalField(
        _("TVA"), max_digits=5, decimal_places=2, choices=VAT_RATE_CHOICES, default=Decimal("20.00")
    )
    vat_exemption_reason = models.CharField(_("motif d'exonération"), max_length=200, blank=True)
    nature = models.CharField(_("nature"), max_length=8, choices=Nature, default=Nature.SERVICE)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.designation


class LigneDocument(ChampsArticle):
    """What is sold on one line: the article's columns, with a quantity and a discount."""

    # A deposit deduction is the one line with a negative quantity (EN 16931 forbids a
    # negative price, BR-27, not a negative quantity); the services check the sign.
    quantity = models.DecimalField(
        _("quantité"), max_digits=14, decimal_places=3, default=Decimal("1")
    )
    discount_rate = models.DecimalField(
        _("remise (%)"), max_digits=5, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )  # fmt: skip

    class Meta:
        abstract = True
