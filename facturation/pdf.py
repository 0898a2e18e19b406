"""PDF rendering of issued documents (WeasyPrint), from the frozen content only."""

from django.template.loader import render_to_string

from facturation.facturx import embed_facturx


def render_document_pdf(content: dict, *, logo_path: str | None = None) -> bytes:
    """Renders the sealed `content` of a document to PDF bytes (Factur-X when possible)."""
    from weasyprint import HTML

    html = render_to_string(
        "facturation/pdf/document.html", {"doc": content, "logo_path": logo_path}
    )
    pdf = HTML(string=html).write_pdf(pdf_variant="pdf/a-3b")
    return embed_facturx(pdf, content)
