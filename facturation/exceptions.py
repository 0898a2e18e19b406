from pgi.exceptions import DomainError


class FactureError(DomainError):
    """An invoice or credit note operation was refused; `problems` says why."""
