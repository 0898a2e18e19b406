"""Provider secrets are encrypted by the kernel's `pgi.secrets` (shared with the e-invoicing
platform's credentials); this module keeps the names the payment code imports."""

from pgi.secrets import decrypt, encrypt

__all__ = ["decrypt", "encrypt"]
