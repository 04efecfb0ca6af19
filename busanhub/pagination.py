"""Every list a citizen sees is paginated the same way: `page_of` here, the include
`includes/pagination.html` in the template ("1–20 of 134", previous/next).

    page = page_of(request, selectors.topups_of(user=request.user))
    {% for topup in page %}…{% endfor %}
    {% include "includes/pagination.html" with page=page %}

A page number that is not a number, or past the end, shows the last page (never a 404 or 500).
Two lists on one page take different `param`s.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PER_PAGE = 20


def page_of(
    request: HttpRequest,
    items: Sequence[Any] | Any,
    *,
    per_page: int = PER_PAGE,
    param="page",
    first_rows: list | None = None,
    count: Callable[[], int] | None = None,
) -> Page:
    """The page of `items` (a queryset or list) the request asks for, with the links to its
    neighbours (`previous_url`, `next_url`: the request's query with only `param` changed).
    `first_rows`: the queryset's first `per_page + 1` rows, read already (a prepared
    statement): the first page is made of them, and `items` is asked only to count a longer
    list or for another page; `count()`, when given, counts the longer list instead (the
    queryset's `count()` written out)."""
    number = request.GET.get(param)
    if is_first_page(request, param) and isinstance(items, QuerySet):
        page = _first_page(items, per_page, first_rows, count)
    else:
        page = Paginator(items, per_page).get_page(number)
    page.param = param  # type: ignore[attr-defined]
    page.previous_url = (  # type: ignore[attr-defined]
        _url(request, param, page.previous_page_number()) if page.has_previous() else ""
    )
    page.next_url = (  # type: ignore[attr-defined]
        _url(request, param, page.next_page_number()) if page.has_next() else ""
    )
    return page


def is_first_page(request: HttpRequest, param: str = "page") -> bool:
    """Whether `page_of(request, …, param=param)` shows the first page from its first rows (a
    view reads `first_rows` only then)."""
    return request.GET.get(param) in (None, "", "1")


def _first_page(
    items: QuerySet,
    per_page: int,
    first_rows: list | None = None,
    count: Callable[[], int] | None = None,
) -> Page:
    """The first page from one query of `per_page + 1` rows: most citizens' lists fit on it,
    and then its length is the count (no COUNT(*), a query compiled and sent for nothing).
    A longer list still counts its rows, for "1–20 of 134"."""
    rows = list(items[: per_page + 1]) if first_rows is None else first_rows
    if len(rows) <= per_page:
        return Paginator(rows, per_page).page(1)
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count()  # a cached_property: the paginator reads this value
    return Page(rows[:per_page], 1, paginator)


def _url(request: HttpRequest, param: str, number: int) -> str:
    query = request.GET.copy()
    query[param] = str(number)
    return "?" + query.urlencode()
