"""Domain errors: one exception carries every problem found, as Odoo's posting does."""

from django.core.exceptions import ValidationError


class DomainError(Exception):
    """A business rule refused the operation; `problems` lists every reason, in French."""

    def __init__(self, problems: list[str] | str, *, field_errors: dict | None = None):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.field_errors = field_errors or {}
        super().__init__(" ".join(self.problems))

    @classmethod
    def from_validation_error(cls, error: ValidationError) -> "DomainError":
        if hasattr(error, "error_dict"):
            field_errors = {
                field: [m for e in errs for m in e.messages]
                for field, errs in error.error_dict.items()
            }
            problems = [m for msgs in field_errors.values() for m in msgs]
            return cls(problems, field_errors=field_errors)
        return cls(error.messages)


class PermissionRefused(DomainError):
    pass


class PeriodeCloturee(DomainError):
    """A record would be dated in a closed period of the register (CGI art. 286-I-3° bis)."""


class NumerotationError(DomainError):
    """A number format or a numbering series was refused; `problems` says why."""
