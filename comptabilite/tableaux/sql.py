"""The triggers that keep `ResteDu` (one row per issued invoice) in the transaction of every
change that moves what is owed. Installed by migration 0001; `reste_du_reconstruire` runs the
same function over a company's invoices (after a bulk load that bypassed the triggers).

What is owed is facturation's one "reste dû" (`facturation.selectors.with_amount_due`): the
total incl. VAT, less its issued credit notes (`CREDIT_NOTES`), the payments allocated to it
(`MONTANT_REGLE`) and the credit notes set against it (`IMPUTATIONS_RECUES`), plus what its
own credit notes paid elsewhere (`IMPUTATIONS_FAITES`). If a reduction is registered in
`facturation.selectors.SETTLEMENTS`, a test fails until it is added here.

The function locks the invoice's row first, then reads: in READ COMMITTED each statement of a
plpgsql function sees what committed before it started, so two payments allocated at once to
one invoice are both counted (the second waits for the first, then recomputes)."""

COVERED_REDUCTIONS = {"CREDIT_NOTES", "MONTANT_REGLE", "IMPUTATIONS_RECUES", "IMPUTATIONS_FAITES"}

REBUILD = """
SELECT tableaux_reste_du_calculer(id) FROM facturation_facture
    WHERE company_id = %s AND status = 'emise' AND kind <> 'avoir'
"""
