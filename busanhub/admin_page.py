"""The admin change list's page around its rows, built in Python instead of small templates.

Around the rows (busanhub/admin_lists.py), a change list renders five small templates through
Django's engine: the filters (`admin_list_filter`: one `admin/filter.html` per filter, each
choice's link built by `ChangeList.get_query_string`, ~70 a page, each copying, sorting and
url-encoding the page's whole query), the search form, the date hierarchy, the pagination and
the actions form (its `<select>` through the form renderer's templates). Each costs a context,
a template lookup and a few hundred variable lookups; together ~25 % of the safety queue's
CPU under cProfile. Here the first four are written out in Python from the very values
Django's tag computes, and the query strings share one encoding of the page's query
(`QueryStrings`). The date hierarchy keeps Django's queries: its earliest and latest date
are two probes of an index on the date, where asking every row's month instead was a second
scan a page over a city's reports sharing one month (BENCHMARKS.md, third session). The
actions form's fields are rendered once per form, choices and language (`action_form_fields`).

The HTML is byte for byte Django's (tests/test_admin_page.py renders every registered change
list both ways). Django's own code still runs wherever a template here would not be Django's
own: a per-app or per-model override (`admin/<app>/<model>/search_form.html`), a filter with
its own template, a bound actions form. `FAST = False` renders every part through Django's
tags and keeps nothing (the comparison's old path).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import django.contrib.admin
from django.conf import settings
from django.contrib.admin.views.main import ChangeList
from django.template import Context
from django.template.base import render_value_in_context
from django.templatetags.static import static
from django.utils.encoding import iri_to_uri
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

FAST = True

_DJANGO_TEMPLATES = Path(django.contrib.admin.__file__).parent / "templates"
# Read-only: render_value_in_context reads its autoescape, use_l10n and use_tz (the admin's
# RequestContext has the same: True, None, None).
_VALUES = Context()


def is_djangos(template: Any, name: str) -> bool:
    """Whether a selected template is Django's own `admin/<name>` (no project override)."""
    origin = getattr(getattr(template, "template", template), "origin", None)
    return origin is not None and origin.name == str(_DJANGO_TEMPLATES / "admin" / name)


def _value(value: Any) -> str:
    """`{{ value }}` in an autoescaping template."""
    if isinstance(value, Promise):
        # A lazy translation: render_value_in_context's localize() leaves text as it is.
        value = str(value)
    if isinstance(value, str):
        return conditional_escape(value)
    return render_value_in_context(value, _VALUES)


def _translated(message: str) -> str:
    """`{% translate 'message' %}`: a literal's translation, not escaped."""
    return gettext(message).replace("%%", "%")


class QueryStrings:
    """`ChangeList.get_query_string` with the page's query encoded once.

    Django's copies the query, drops and sets keys, sorts it and url-encodes all of it for each
    link; here each key's encoded part is kept (the page's own once, a new value's on first
    use) and a link joins the parts in the same key order: the same text.
    """

    def __init__(self, filter_params: dict[str, Any]) -> None:
        self.parts = {key: self._encoded(key, value) for key, value in filter_params.items()}
        self._new: dict[tuple, str] = {}

    @staticmethod
    def _encoded(key: str, value: Any) -> str:
        return urlencode([(key, value)], doseq=True)

    def _part(self, key: str, value: Any) -> str:
        try:
            # The type too: True and 1 are equal keys but encode as "True" and "1".
            cache_key = (key, type(value), tuple(value) if type(value) is list else value)
            part = self._new.get(cache_key)
        except TypeError:  # unhashable
            return self._encoded(key, value)
        if part is None:
            part = self._new[cache_key] = self._encoded(key, value)
        return part

    def get(self, new_params: dict[str, Any] | None = None, remove: Iterable[str] = ()) -> str:
        parts = self.parts.copy()
        for prefix in remove or ():
            for key in list(parts):
                if key.startswith(prefix):
                    del parts[key]
        for key, value in (new_params or {}).items():
            if value is None:
                parts.pop(key, None)
            else:
                parts[key] = self._part(key, value)
        # Keys are unique strings: sorting the items sorts by key, as Django's sorted() does.
        return "?" + "&".join(part for key, part in sorted(parts.items()) if part)


def query_strings(cl: ChangeList) -> QueryStrings:
    """The page's QueryStrings, made once per change list (a change list lives one request)."""
    kept = cl.__dict__.get("_busanhub_query_strings")
    if kept is None:
        kept = cl.__dict__["_busanhub_query_strings"] = QueryStrings(cl.filter_params)
    return kept


class _FastQueries:
    """The change list as a filter's `choices()` sees it, its links built by QueryStrings."""

    def __init__(self, cl: ChangeList) -> None:
        self._cl = cl
        self.get_query_string = query_strings(cl).get

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cl, name)


# admin/filter.html, piece by piece (its indentation and line breaks are part of the page).
_FILTER_OPEN = (
    '\n<details data-filter-title="{title}" open>\n  <summary>\n    {by}\n  </summary>\n  <ul>\n  '
)
_FILTER_CHOICE = '\n    <li{selected}>\n    <a href="{href}">{display}</a></li>\n  '
_FILTER_CLOSE = "\n  </ul>\n</details>\n"


def filter_html(cl: ChangeList, spec: Any) -> SafeString:
    """`{% admin_list_filter cl spec %}` for a filter rendered by Django's admin/filter.html."""
    title = _value(spec.title)
    parts = [
        _FILTER_OPEN.format(
            title=title, by=gettext(" By %(filter_title)s ") % {"filter_title": title}
        )
    ]
    for choice in spec.choices(_FastQueries(cl)):
        parts.append(
            _FILTER_CHOICE.format(
                selected=' class="selected"' if choice["selected"] else "",
                href=escape(iri_to_uri(choice["query_string"])),
                display=_value(choice["display"]),
            )
        )
    parts.append(_FILTER_CLOSE)
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


def search_form_html(values: dict[str, Any]) -> SafeString:
    """Django's admin/search_form.html over the context of its `search_form` tag."""
    cl = values["cl"]
    if not cl.search_fields:
        return mark_safe("\n\n")
    described = ' aria-describedby="searchbar_helptext"' if cl.search_help_text else ""
    parts = [
        '\n\n<div id="toolbar"><form id="changelist-search" method="get" role="search">\n'
        "<div><!-- DIV needed for valid HTML -->\n"
        f'<label for="searchbar"><img src="{escape(static("admin/img/search.svg"))}"'
        ' alt="Search"></label>\n'
        f'<input type="text" size="40" name="{_value(values["search_var"])}"'
        f' value="{_value(cl.query)}" id="searchbar"'
        f"{described}>\n"
        f'<input type="submit" value="{_translated("Search")}">\n'
    ]
    if values["show_result_count"]:
        count = cl.result_count
        counted = ngettext("%(counter)s result", "%(counter)s results", count) % {
            "counter": _value(count)
        }
        link = ""
        if cl.is_popup:
            link += f"{_value(values['is_popup_var'])}=1{'&' if cl.add_facets else ''}"
        if cl.add_facets:
            link += _value(values["is_facets_var"])
        if cl.show_full_result_count:
            total = gettext("%(full_result_count)s total") % {
                "full_result_count": _value(cl.full_result_count)
            }
        else:
            total = _translated("Show all")
        parts.append(
            f'\n    <span class="small quiet">{counted} (<a href="?{link}">{total}</a>)</span>\n'
        )
    parts.append("\n")
    search_var = values["search_var"]
    for key, value in cl.params.items():
        hidden = ""
        if key != search_var:
            hidden = f'<input type="hidden" name="{_value(key)}" value="{_value(value)}">'
        parts.append(f"\n    {hidden}\n")
    parts.append("\n</div>\n")
    if cl.search_help_text:
        parts.append(
            '\n<br class="clear">\n'
            f'<div class="help" id="searchbar_helptext">{_value(cl.search_help_text)}</div>\n'
        )
    parts.append("\n</form></div>\n\n")
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


def _page_link(cl: ChangeList, links: QueryStrings, number: Any) -> str:
    """`{% paginator_number cl i %}`."""
    if number == cl.paginator.ELLIPSIS:
        return f"{conditional_escape(number)} "
    if number == cl.page_num:
        return f'<span class="this-page">{conditional_escape(number)}</span> '
    end = ' class="end"' if number == cl.paginator.num_pages else ""
    href = conditional_escape(links.get({"p": number}))
    return f'<a href="{href}"{end}>{conditional_escape(number)}</a> '


def pagination_html(values: dict[str, Any]) -> SafeString:
    """Django's admin/pagination.html over the context of its `pagination` tag."""
    cl = values["cl"]
    parts = ['\n\n<p class="paginator">\n']
    if values["pagination_required"]:
        links = query_strings(cl)
        parts.append("\n")
        parts.extend(f"\n    {_page_link(cl, links, number)}\n" for number in values["page_range"])
        parts.append("\n")
    parts.append("\n")
    count = cl.result_count
    name = cl.opts.verbose_name if count == 1 else cl.opts.verbose_name_plural
    parts.append(f"{_value(count)} {_value(name)}\n")
    if values["show_all_url"]:
        parts.append(
            f'<a href="{_value(values["show_all_url"])}" class="showall">'
            f"{_translated('Show all')}</a>"
        )
    parts.append("\n")
    if cl.formset and count:
        parts.append(
            f'<input type="submit" name="_save" class="default" value="{_translated("Save")}">'
        )
    parts.append("\n</p>\n")
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


def date_hierarchy_html(values: dict[str, Any] | None) -> SafeString:
    """Django's admin/date_hierarchy.html over the context of its `date_hierarchy` tag."""
    if not values or not values.get("show"):
        return mark_safe("\n")
    parts = ['\n<nav class="toplinks">\n\n\n']
    back = values.get("back")
    if back:
        parts.append(
            f'<a href="{_value(back["link"])}" class="date-back">'
            f"&lsaquo; {_value(back['title'])}</a>"
        )
    parts.append("\n\n\n")
    for choice in values["choices"]:
        if choice.get("link"):
            shown = f'<a href="{_value(choice["link"])}">{_value(choice["title"])}</a>'
        else:
            shown = _value(choice["title"])
        parts.append(f"\n{shown}\n")
    parts.append("\n\n\n</nav>\n\n")
    return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


FAST_TEMPLATES: dict[str, Callable[[Any], SafeString]] = {
    "search_form.html": search_form_html,
    "pagination.html": pagination_html,
    "date_hierarchy.html": date_hierarchy_html,
}
# admin/actions.html's loop over the actions form's fields, as Django writes it.
ACTION_FIELDS = (
    "{% for field in action_form %}{% if field.label %}<label>{{ field.label }} {{ field }}"
    "</label>{% else %}{{ field }}{% endif %}{% endfor %}"
)
LIMIT = 2000
_action_fields: dict[tuple, SafeString] = {}


def _frozen(value: Any) -> Any:
    """A hashable copy of a field's choices or attributes, lazy text in the active language."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, Promise):
        return str(value)
    hash(value)  # raises TypeError: not kept
    return (type(value), value)


def _action_form_key(form: Any) -> tuple | None:
    """Everything the unbound actions form's fields render from, or None (not kept)."""
    if form.is_bound or settings.DEBUG:
        return None
    try:
        fields = tuple(
            (
                name,
                type(field),
                type(field.widget),
                _frozen(field.label),
                _frozen(getattr(field, "choices", None)),
                _frozen(field.widget.attrs),
                _frozen(form.get_initial_for_field(field, name)),
                field.required,
                field.disabled,
                field.show_hidden_initial,
                field.localize,
            )
            for name, field in form.fields.items()
        )
        return (type(form), form.prefix, form.auto_id, _frozen(form.initial), fields)
    except TypeError:  # a value that cannot be a key: rendered every time
        return None


def action_form_fields(form: Any, engine: Any) -> SafeString:
    """The actions form's fields as admin/actions.html writes them (Django's template, over
    the form's own renderer), rendered once per form class, choices and language.

    The choices are the user's actions (`get_action_choices` keeps those the user's
    permissions allow) with their translated names: a user who may do less, or reads another
    language, has another key. A bound form (a POST shown again) is rendered every time.
    """
    key = _action_form_key(form) if FAST else None
    if key is not None:
        key = (key, get_language())
        kept = _action_fields.get(key)
        if kept is not None:
            return kept
    rendered = _action_fields_template(engine).render(Context({"action_form": form}))
    if key is not None:
        if len(_action_fields) >= LIMIT:
            _action_fields.clear()
        _action_fields[key] = rendered
    return rendered


@functools.cache
def _action_fields_template(engine: Any) -> Any:
    return engine.from_string(ACTION_FIELDS)
