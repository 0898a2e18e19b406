"""Domain errors of closures and archives (a date in a closed period is the kernel's
`pgi.exceptions.PeriodeCloturee`)."""

from pgi.exceptions import DomainError


class ComptabiliteError(DomainError):
    """A closure or an archive was refused; `problems` lists every reason."""
