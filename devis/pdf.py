"""The PDF of a quote: the kernel's layout (pgi.pdf, templates/documents/pdf/) with the title
"Devis", its validity and terms, its options, and the "Bon pour accord" block, filled in on
the signed copy with the acceptance (name, date, drawn signature)."""

from typing import Any

from django.template.loader import render_to_string

from pgi.mentions import quote_mentions
from pgi.pdf import PNG_DATA_URI, layout_context, render_pdf

CATEGORIES = {"main_oeuvre": "Main-d'œuvre", "deplacement": "Déplacement"}
PREVIEW_MARK = "APERÇU — non envoyé"


def devis_context(
    content: dict, *, logo_path: str | None = None, acceptance: dict | None = None
) -> dict[str, Any]:
    context = layout_context(content, logo_path=logo_path)
    lines = [
        {**line, "designation": _labelled(line)} for line in context["lines"]
    ]  # the category, printed before a labour or travel line's designation
    signature = (acceptance or {}).get("signature") or ""
    return {
        **context,
        "title": "Devis",
        "lines": [line for line in lines if not line.get("optional")],
        "option_lines": [line for line in lines if line.get("optional")],
        "chosen_options": [line for line in lines if line.get("optional") and line.get("chosen")],
        "quote": content.get("quote") or {},
        "quote_mentions": quote_mentions(content),
        "acceptance": acceptance,
        # Only an image the page made itself (pgi.pdf.LocalFileFetcher reads no other URL).
        "signature": signature if signature.startswith(PNG_DATA_URI) else "",
    }


def _labelled(line: dict) -> str:
    label = CATEGORIES.get(line.get("category") or "")
    designation = line["designation"]
    if not label or designation.lower().startswith(label.lower()):
        return designation
    return f"{label} — {designation}"


def render_devis_pdf(
    content: dict, *, logo_path: str | None = None, acceptance: dict | None = None,
    preview: bool = False,
) -> bytes:  # fmt: skip
    """The quote's PDF bytes, from its frozen content only; with `acceptance`, the signed
    copy (the acceptance block filled in, the options ticked marked)."""
    context = devis_context(content, logo_path=logo_path, acceptance=acceptance)
    if preview:
        context["preview_mark"] = PREVIEW_MARK
    html = render_to_string("devis/pdf/devis.html", context)
    return render_pdf(html, logo=context["logo"])
