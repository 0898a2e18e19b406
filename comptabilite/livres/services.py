"""Writes on the books besides posting: the account mapping, and posting what has no entry."""

import json
import re

from django.db import transaction
from django.utils.translation import gettext as _

from comptabilite.exceptions import ComptabiliteError
from comptabilite.livres.comptes import default_account, mapping_keys
from comptabilite.livres.models import CompteComptable, Ecriture
from pgi.locks import lock_registre_head
from pgi.models import Company, Enregistrement
from pgi.registre import POSTING_RULES

PCG_NUMBER = r"^[1-8][0-9]{2}[0-9A-Z]*$"


@transaction.atomic
def compte_modifier(*, company: Company, key: str, number: str, label: str) -> CompteComptable:
    """Sets the company's account for `key`; entries already posted keep theirs (they are
    validated), the next ones take this one."""
    number, label = number.strip().upper(), label.strip()
    problems = []
    if key not in mapping_keys():
        problems.append(_("Compte inconnu : %(k)s.") % {"k": key})
    if not re.fullmatch(PCG_NUMBER, number) or len(number) > 20:
        problems.append(
            _("%(n)s : un numéro de compte commence par trois chiffres du plan comptable.")
            % {"n": number or "—"}
        )
    if not label:
        problems.append(_("L'intitulé du compte est obligatoire."))
    if problems:
        raise ComptabiliteError(problems)
    if (number, label) == (default_account(key).number, default_account(key).label):
        CompteComptable.objects.filter(company=company, key=key).delete()
        return CompteComptable(company=company, key=key, number=number, label=label)
    compte, _created = CompteComptable.objects.update_or_create(
        company=company, key=key, defaults={"number": number, "label": label[:100]}
    )
    return compte


@transaction.atomic
def ecritures_comptabiliser(*, company: Company) -> int:
    """Posts every sealed record that has no entry yet (documents and payments sealed before
    the books existed), in sealing order; idempotent. Returns how many were posted.

    Takes the register head lock first, as sealing does: nothing is sealed meanwhile."""
    lock_registre_head(company)
    posted = Ecriture.objects.filter(company=company).values("sequence")
    records = (
        Enregistrement.objects.filter(company=company, kind__in=list(POSTING_RULES))
        .exclude(sequence__in=posted)
        .order_by("sequence")
    )
    count = 0
    for record in records.iterator(chunk_size=500):
        POSTING_RULES[record.kind](company, record, json.loads(bytes(record.payload))["doc"])
        count += 1
    return count
