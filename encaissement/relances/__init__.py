"""Dunning (relances): late penalties, send dates, the daily run, disputes and promises to
pay, and the receivables list (issue #17). Part of `encaissement`, which owns what changes on
an invoice after it is issued (ARCHITECTURE.md)."""
