from pgi.exceptions import DomainError


class ReleveError(DomainError):
    """A statement file or a reconciliation step was refused; `problems` says why, in French."""
