from django.shortcuts import render
from django.urls import reverse


def api_docs(request):
    """Swagger UI for /api/v1/, from our own static files (no CDN, no inline script)."""
    return render(request, "pgi/api_docs.html", {"schema_url": reverse("api:openapi-json")})
