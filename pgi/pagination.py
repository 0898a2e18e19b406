"""Pagination that stays fast on deep pages of large lists."""

from django.core.paginator import Page, Paginator


class KeyPaginator(Paginator):
    """Reads a page's primary keys first (index-only, OFFSET over the index), then loads just
    those rows: a deep OFFSET no longer walks and reads every skipped table row."""

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        query = self.object_list.model._default_manager.filter(pk__in=keys)
        if related := self._related():
            query = query.select_related(*related)
        rows = {row.pk: row for row in query}
        return self._get_page([rows[pk] for pk in keys if pk in rows], number, self)

    def _related(self) -> tuple[str, ...]:
        related = self.object_list.query.select_related
        return tuple(related) if isinstance(related, dict) else ()
