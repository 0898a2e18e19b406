"""PDF rendering of issued documents (WeasyPrint), from the frozen content only."""

from django.template.loader import render_to_string


def render_document_pdf(content: dict, *, logo_path: str | None = None) -> bytes:
    """Renders the sealed `content` of a document to PDF bytes (Factur-X when possible)."""
    from weasyprint import HTML

    html = render_to_string(
        "facturation/pdf/document.html", {"doc": content, "logo_path": logo_path}
    )
    return HTML(string=html).write_pdf()
