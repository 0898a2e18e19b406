"""Factur-X (EN 16931 profile): the CII XML of a document, embedded in its PDF/A-3."""


def embed_facturx(pdf: bytes, content: dict) -> bytes:
    """Returns the PDF with `factur-x.xml` attached (stub until the Factur-X work lands)."""
    return pdf
