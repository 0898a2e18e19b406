"""The books (livres comptables): accounts, the sales (VT) and bank (BQ) journals, entries
posted from the register's seals, lettrage, VAT due and the FEC (LEGAL.md §5)."""
