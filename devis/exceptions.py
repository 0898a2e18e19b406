from pgi.exceptions import DomainError


class DevisError(DomainError):
    """A quote operation was refused; `problems` says why, every reason at once."""
