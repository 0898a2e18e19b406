"""What the dashboards read beside the frozen documents."""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from crm.models import Client
from facturation.models import Facture
from pgi.models import Company


class ResteDu(models.Model):
    """What is still owed on one issued invoice (deposit invoices included), kept beside the
    frozen invoice (ARCHITECTURE.md, "State that changes vs. documents that do not").

    Written by database triggers (migration 0001) in the transaction of every change that
    moves it: an invoice or credit note issued, a payment allocated or reversed, a credit note
    set against an invoice. Each recomputes the invoice's row from its reductions, the ones
    `facturation.selectors.with_amount_due` subtracts (tests/comptabilite/test_tableaux.py
    checks both agree, and that no reduction was registered that the triggers ignore).
    The dashboards sum it in one indexed pass instead of joining every reduction of 100,000
    invoices on each request (bench/receivables.py)."""

    facture = models.OneToOneField(
        Facture, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    issue_date = models.DateField(_("émise le"), null=True)
    due_date = models.DateField(_("échéance"), null=True)
    total_incl_vat = models.DecimalField(_("total TTC"), max_digits=14, decimal_places=2)
    amount_due = models.DecimalField(_("reste dû"), max_digits=14, decimal_places=2)
    # The same in cents, computed by PostgreSQL: the aging balance sums integers, 30-45 %
    # faster than numerics over 50,000 open invoices (bench/README.md).
    cents_due = models.GeneratedField(
        expression=Cast(F("amount_due") * 100, models.BigIntegerField()),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )
    # The day of the last payment, once nothing is owed any more (the customer's own delay).
    settled_on = models.DateField(_("soldée le"), null=True)

    class Meta:
        verbose_name = _("reste dû")
        indexes = [
            models.Index(
                fields=["company", "due_date"],
                include=["client", "amount_due", "cents_due"],
                condition=Q(amount_due__gt=0),
                name="restedu_ouvertes_idx",
            ),
            models.Index(
                fields=["company", "settled_on"],
                include=["client", "due_date"],
                condition=Q(settled_on__isnull=False),
                name="restedu_solde_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facture_id}: {self.amount_due}"
