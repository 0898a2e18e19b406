"""Domain errors of the ledger, closures and archives."""

from pgi.exceptions import DomainError


class ComptabiliteError(DomainError):
    """A closure or an archive was refused; `problems` lists every reason."""


class PeriodeCloturee(ComptabiliteError):
    """A document would be dated in a closed period (CGI art. 286-I-3° bis)."""
