"""`verify_ledger`: the name of `verify_registre` until 2026-11, kept for existing crontabs."""

from comptabilite.management.commands.verify_registre import Command as VerifyRegistre


class Command(VerifyRegistre):
    help = "Ancien nom de verify_registre (vérifie le registre inaltérable)."
