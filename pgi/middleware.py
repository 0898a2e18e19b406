"""Request plumbing that every page needs before any view runs."""

from django.http import QueryDict

from pgi.text import clean_text


def _clean(value: str) -> str:
    return clean_text(value, single_line=True)


class CleanQueryStringMiddleware:
    """The query string without control characters (`pgi.text`): a search for "a%00b"
    reached PostgreSQL, which refuses a NUL byte in text, and answered 500 (issue #15)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        params = request.GET
        if any(_clean(key) != key or any(_clean(v) != v for v in values)
               for key, values in params.lists()):  # fmt: skip
            cleaned = QueryDict(mutable=True)
            for key, values in params.lists():
                cleaned.setlist(_clean(key), [_clean(value) for value in values])
            cleaned._mutable = False
            request.GET = cleaned
        return self.get_response(request)
