"""Every row lock of the application, in one place.

Lock order, always the same so that two transactions never deadlock:
    1. the document being issued (`lock_draft`),
    2. its numbering counter (`pgi.numbering.numero_attribuer`, which takes it in the same
       statement that increments it, so it lives with the numbering service), then what the
       apps above lock when it is issued or deleted (`facturation.hooks`: the quote of an
       invoice, after the invoice; a quote's own services take an existing invoice of it
       before the quote, `devis.services.devis_facturer_solde`),
    3. the company's register head (`lock_registre_head`),
    4. the head of the company's technical event log (`lock_journal_head`): a closure
       locks the register head first, then logs its event and seals its record; an archive
       seals its record, then logs its event.
All are per company: two companies never wait on each other. The counter and the
head are taken last and held only for a few statements (PERFORMANCE.md: issuing is bound
by commits, so the lock must be short). An event concerning several companies (a member's
login) takes their event log heads in the order of their pk.
"""

from datetime import date

from django.db import connection

from pgi.models import Company, Invitation, JournalEvenements, Registre


def lock_draft(model, pk: int, *, related: tuple[str, ...] = ()):
    """The row `pk`, locked; `of=("self",)` so that joined rows are not locked with it."""
    query = model.objects.select_for_update(of=("self",))
    if related:
        query = query.select_related(*related)
    return query.get(pk=pk)


def lock_registre_head(company: Company) -> tuple[int, str, date | None, str]:
    """Locks the company's register head; returns (last sequence, last fingerprint, closed
    until, reference of that closure).

    Closures take this lock too and move "closed until" under it, so the end of the last
    closure read here cannot move before the caller commits.
    """
    table = Registre._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (company_id, last_sequence, last_fingerprint, closure_reference)
            VALUES (%s, 0, '', '')
            ON CONFLICT (company_id)
            DO UPDATE SET last_sequence = {table}.last_sequence
            RETURNING last_sequence, last_fingerprint, closed_until, closure_reference
            """,
            [company.pk],
        )
        return cursor.fetchone()


def lock_invitation(pk: int) -> Invitation | None:
    """The invitation `pk` with its company, locked: parallel accepts of one link wait for
    the first to commit, then find it used (issue #15: they raced on the account's email)."""
    return (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("company")
        .filter(pk=pk)
        .first()
    )


def lock_journal_head(company: Company | None) -> tuple[int, int, str]:
    """Locks the head of the company's event log chain (None: the chain of the events tied
    to no company), creating it on first use; returns (head id, last sequence, last
    fingerprint). Its unique constraint treats NULL as one value, hence one site chain."""
    table = JournalEvenements._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (company_id, last_sequence, last_fingerprint)
            VALUES (%s, 0, '')
            ON CONFLICT (company_id)
            DO UPDATE SET last_sequence = {table}.last_sequence
            RETURNING id, last_sequence, last_fingerprint
            """,
            [company.pk if company else None],
        )
        return cursor.fetchone()
