"""The admin change list's rows, rendered with the work per column done once per page.

Django's `{% result_list %}` (`items_for_result`) decides every cell from scratch: it looks the
column's field up (raising and catching FieldDoesNotExist for each method column), reverses the
row's change URL and resolves it again to add the preserved filters, renders the action checkbox
through the form renderer's templates, reads the locale's formats for each date and number, and
escapes through lazy wrappers; the template then loops over every cell. That was ~0.2 ms a row
(100 rows: 20 ms of a 50 ms page). Here each column is classified once (its field, its classes,
its formatter, whether it links), the change URL and the checkbox are built once around a
sentinel and filled in per row, and each row reaches the template as one string.

The HTML is byte for byte Django's (busanhub/tests/test_admin_lists.py compares both on every
registered change list); what this does not know how to do fast (list_editable, popups,
`to_field`, a custom `action_checkbox`, a non-integer non-UUID key) goes to Django's own code.
"""

from __future__ import annotations

import datetime
import html
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.admin import ModelAdmin
from django.contrib.admin.templatetags.admin_list import (  # type: ignore[attr-defined]
    # Django's own helpers for a boolean's icon and a column's class: the stubs omit them.
    ResultList,
    _boolean_icon,
    _coerce_field_name,
    result_headers,
    result_hidden_fields,
    results,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, display_for_value, lookup_field
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils import dateformat, numberformat
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

# Stands for a row's primary key and name while the URL and checkbox are built once; digits
# and letters pass through reverse(), urlencode() and escaping unchanged.
_PK = 7_364_019_285_913
_NAME = "bhRowNameSentinel5c1e"

Cell = Callable[[models.Model], str]  # a row's cell, as HTML


def _escape(value: object) -> str:
    """`conditional_escape` without its lazy-string wrapper: safe text stays as it is."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


class _Sentinel:
    """A row as url_for_result() and action_checkbox() read it: its key and its name."""

    def __init__(self, pk_attname: str) -> None:
        self.pk = _PK
        setattr(self, pk_attname, _PK)

    def __str__(self) -> str:
        return _NAME


class _Formats:
    """The active locale's formats, read once per page instead of once per cell."""

    def __init__(self) -> None:
        self.datetime = get_format("DATETIME_FORMAT")
        self.decimal_separator = get_format("DECIMAL_SEPARATOR")
        self.grouping = get_format("NUMBER_GROUPING")
        self.thousand_separator = get_format("THOUSAND_SEPARATOR")
        # Rows of a queue often share a minute (both locales' formats show none finer): each
        # minute is formatted once a page. A format that reads the seconds (s, u, U, c, r) or
        # names them, even escaped, formats every value.
        self._minutes: dict[tuple, str] | None = (
            None if any(letter in self.datetime for letter in "sucrU") else {}
        )

    def moment(self, value: datetime.datetime) -> str:
        """`dateformat.format(value, DATETIME_FORMAT)` of a localised aware datetime."""
        if self._minutes is None:
            return dateformat.format(value, self.datetime)
        minute = value.replace(second=0, microsecond=0)
        # The zone as well: equal instants in two zones compare equal, yet read otherwise.
        key = (minute, minute.tzinfo, minute.utcoffset())
        text = self._minutes.get(key)
        if text is None:
            text = self._minutes[key] = dateformat.format(minute, self.datetime)
        return text

    def number(self, value: Any, decimal_pos: int | None = None) -> str:
        return numberformat.format(
            value,
            self.decimal_separator,
            decimal_pos,
            self.grouping,
            self.thousand_separator,
            force_grouping=False,
            use_l10n=True,
        )


def _field_display(field: models.Field, empty: str, formats: _Formats) -> Callable[[Any], str]:
    """`display_for_field` for one field, escaped, with its type decided once."""
    if getattr(field, "flatchoices", None):
        try:
            labels = {key: _escape(label) for key, label in dict(field.flatchoices).items()}
        except TypeError:
            labels = None
        if labels is None:  # list-like choices: Django's make_hashable path
            return lambda value: _escape(display_for_field(value, field, empty))

        def choice(value: Any) -> str:
            try:
                return labels.get(value, empty)
            except TypeError:
                return _escape(display_for_field(value, field, empty))

        return choice
    if isinstance(field, models.BooleanField):
        icons = {value: _escape(_boolean_icon(value)) for value in (True, False, None)}
        return lambda value: icons[value]
    empty_values = field.empty_values
    if isinstance(field, models.DateTimeField):

        def moment(value: Any) -> str:
            if value in empty_values:
                return empty
            return html.escape(formats.moment(template_localtime(value)))

        return moment
    if isinstance(field, (models.DecimalField, models.IntegerField, models.FloatField)):
        places = field.decimal_places if isinstance(field, models.DecimalField) else None

        # A page's prices and quantities repeat: each distinct value is formatted once. The
        # key is the value's text, not the value: Decimal("-0") equals 0 yet reads "-0".
        texts: dict[Any, str] = {}

        def number(value: Any) -> str:
            key = value if type(value) is int else (type(value), str(value))
            text = texts.get(key)
            if text is None:
                if value in empty_values:
                    return empty
                text = texts[key] = html.escape(formats.number(value, places))
            return text

        return number
    if isinstance(field, (models.CharField, models.TextField, models.UUIDField)) and not (
        isinstance(field, models.URLField)
    ):

        def text(value: Any) -> str:
            if value in empty_values:
                return empty
            return html.escape(str(value))

        return text
    return lambda value: _escape(display_for_field(value, field, empty))


class _Columns:
    """What each column of this change list needs, decided once; `row()` renders a row."""

    def __init__(self, cl: ChangeList) -> None:
        self.cl = cl
        model_admin = cl.model_admin
        self.model_admin = model_admin
        self.formats = _Formats()
        self.empty: str = model_admin.get_empty_value_display()
        self.url = self._url_template()
        self.cells: list[Cell] = []
        first = True
        for index, name in enumerate(cl.list_display):
            if cl.list_display_links is None:
                links = False
            elif first and not cl.list_display_links:
                links = True
            else:
                links = name in cl.list_display_links
            tag = "td"
            if links:
                tag = "th" if first else "td"
                first = False
            self.cells.append(self._cell(index, name, links, tag))

    def _url_template(self) -> tuple[str, str] | None:
        """The escaped change URL around the sentinel key, or None when there is none."""
        cl = self.cl
        sentinel = _Sentinel(cl.pk_attname)
        try:
            url = cl.url_for_result(sentinel)  # type: ignore[arg-type]  # reads the key only
        except NoReverseMatch:
            return None
        url = add_preserved_filters(
            {"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url
        )
        before, _found, after = url.partition(str(_PK))
        return html.escape(before), html.escape(after)

    def _cell(self, index: int, name: Any, links: bool, tag: str) -> Cell:
        classes = f"field-{_coerce_field_name(name, index)}"
        field = None
        if isinstance(name, str):
            try:
                field = self.cl.lookup_opts.get_field(name)
            except FieldDoesNotExist:
                field = None
        # A concrete field by its name; the rest (an `_id` column, a reverse relation, an
        # auto-created key, a method) takes lookup_field's path, cell by cell.
        if (
            field is not None
            and field.name == name
            and field.concrete
            and not field.auto_created
            and not field.many_to_many
        ):
            return self._field_cell(field, classes, links, tag)
        if name == "action_checkbox" and (
            type(self.model_admin).action_checkbox is ModelAdmin.action_checkbox
        ):
            return self._checkbox_cell(links, tag)
        if (
            isinstance(name, str)
            and field is None
            and name not in ("__str__", "action_checkbox")
            and callable(getattr(self.model_admin, name, None))
        ):
            return self._admin_method_cell(name, classes, links, tag)
        return self._generic_cell(name, classes, links, tag)

    def _wrap(self, tag: str, links: bool, classes: str) -> Callable[[Any, str], str]:
        """The cell's opening and closing, with the row's link when the column has one."""
        opening, closing = f'<{tag} class="{classes}">', f"</{tag}>"
        if not links:
            return lambda row, text: opening + text + closing
        if self.url is None:
            return lambda row, text: opening + text + closing
        before, after = self.url
        pk_name = self.cl.lookup_opts.pk.attname

        def linked(row: Any, text: str) -> str:
            pk = getattr(row, pk_name)
            url: str | None
            if isinstance(pk, (int, uuid.UUID)) and not isinstance(pk, bool):
                url = f"{before}{pk}{after}"
            else:
                url = self._url(row)
            if url is None:
                return opening + text + closing
            return f'{opening}<a href="{url}">{text}</a>{closing}'

        return linked

    def _url(self, row: Any) -> str | None:
        cl = self.cl
        try:
            url = cl.url_for_result(row)
        except NoReverseMatch:
            return None
        context: Any = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
        return html.escape(add_preserved_filters(context, url))

    def _field_cell(self, field: models.Field, classes: str, links: bool, tag: str) -> Cell:
        empty = self.empty
        if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
            classes += " nowrap"
        wrap = self._wrap(tag, links, classes)
        name = field.name
        if isinstance(field.remote_field, models.ManyToOneRel):
            # Rows share their merchant, market or category: each related row's str() once
            # a page, found by the row's own key column (e.g. merchant_id).
            key_name = field.attname
            texts: dict[Any, str] = {}

            def related(row: Any) -> str:
                key = getattr(row, key_name)
                text = texts.get(key)
                if text is None:
                    try:
                        value = getattr(row, name)
                    except ObjectDoesNotExist:
                        return wrap(row, empty)
                    text = empty if value is None else _escape(value)
                    if key is not None:
                        texts[key] = text
                return wrap(row, text)

            return related
        if links and isinstance(field, (models.FileField, models.URLField)):
            return lambda row: wrap(
                row, _escape(display_for_field(getattr(row, name), field, empty, avoid_link=True))
            )
        display = _field_display(field, empty, self.formats)
        attname = field.attname

        def plain(row: Any) -> str:
            value = getattr(row, attname)
            if isinstance(value, str) and value.strip() == "":
                value = ""
            return wrap(row, display(value))

        return plain

    def _checkbox_cell(self, links: bool, tag: str) -> Cell:
        html_text = str(self.model_admin.action_checkbox(_Sentinel(self.cl.pk_attname)))
        before, found_pk, rest = html_text.partition(str(_PK))
        middle, found_name, after = rest.partition(_NAME)
        if not (found_pk and found_name):  # a widget that orders them otherwise: Django's code
            return self._generic_cell("action_checkbox", "action-checkbox", links, tag)
        wrap = self._wrap(tag, links, "action-checkbox")

        def checkbox(row: Any) -> str:
            pk = html.escape(str(row.pk))
            return wrap(row, f"{before}{pk}{middle}{html.escape(str(row))}{after}")

        return checkbox

    def _admin_method_cell(self, name: str, classes: str, links: bool, tag: str) -> Cell:
        """A method of the model admin (`short_id(self, obj)`): what lookup_field() and the
        generic cell decide from the name (no field: FieldDoesNotExist raised and caught per
        cell; the attribute whose `boolean` and `empty_value_display` count: the model's of
        that name if it has one) decided once, the method called per row."""
        method = getattr(self.model_admin, name)
        model = self.model_admin.model
        attr = getattr(model, name) if hasattr(model, name) else method
        empty: str = getattr(attr, "empty_value_display", self.empty)
        empty_escaped = _escape(empty)
        boolean = getattr(attr, "boolean", False)
        if isinstance(attr, property) and hasattr(attr, "fget"):
            boolean = getattr(attr.fget, "boolean", False)
        wrap = self._wrap(tag, links, classes)
        wrap_nowrap = self._wrap(tag, links, classes + " nowrap")
        icons: dict[Any, str] = {}

        def admin_method(row: Any) -> str:
            try:
                value = method(row)
            except ObjectDoesNotExist:
                return wrap(row, self.empty)
            if type(value) is str and not boolean:
                # display_for_value() of text: the text itself, or the empty display for blank.
                return wrap(row, html.escape(value) if value.strip() else empty_escaped)
            if isinstance(value, str) and value.strip() == "":
                value = ""
            if boolean and (value is True or value is False or value is None):
                if value not in icons:
                    icons[value] = _escape(_boolean_icon(value))
                return wrap(row, icons[value])
            text = _escape(display_for_value(value, empty, boolean))
            if isinstance(value, (datetime.date, datetime.time)):
                return wrap_nowrap(row, text)
            return wrap(row, text)

        return admin_method

    def _generic_cell(self, name: Any, classes: str, links: bool, tag: str) -> Cell:
        """A method, a property or a callable: Django's lookup and display, cell by cell."""
        model_admin = self.model_admin
        empty_default: str = self.empty
        opening_classes: str = classes
        # A boolean column's three icons, each a static() URL: once a page, not once a row.
        icons: dict[Any, str] = {}

        def icon(value: Any) -> str:
            if value not in icons:
                icons[value] = _escape(_boolean_icon(value))
            return icons[value]

        def generic(row: Any) -> str:
            empty = empty_default
            row_classes = opening_classes
            try:
                field, attr, value = lookup_field(name, row, model_admin)
            except ObjectDoesNotExist:
                text = empty
            else:
                empty = getattr(attr, "empty_value_display", empty)
                if isinstance(value, str) and value.strip() == "":
                    value = ""
                if field is None or field.auto_created:
                    if name == "action_checkbox":
                        row_classes = "action-checkbox"
                    boolean = getattr(attr, "boolean", False)
                    if isinstance(attr, property) and hasattr(attr, "fget"):
                        boolean = getattr(attr.fget, "boolean", False)
                    if boolean and (value is True or value is False or value is None):
                        text = icon(value)
                    else:
                        text = _escape(display_for_value(value, empty, boolean))
                    if isinstance(value, (datetime.date, datetime.time)):
                        row_classes += " nowrap"
                else:  # a field _cell() did not take: Django's own path
                    text = _escape(display_for_field(value, field, empty, avoid_link=links))
                    if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
                        row_classes += " nowrap"
            return self._wrap(tag, links, row_classes)(row, text)

        return generic

    def row(self, result: models.Model) -> SafeString:
        # Each cell escaped its own text (_escape, html.escape) and its markup is constant.
        return mark_safe("".join([cell(result) for cell in self.cells]))  # noqa: S308


def is_fast(cl: ChangeList) -> bool:
    """Whether this change list's rows can take the fast path (else: Django's code).

    A ChangeList that makes its rows' URLs itself may read more of a row than its key (DRF's
    TokenChangeList reads `row.user`): the URL cannot be built once around a sentinel."""
    if type(cl).url_for_result is not ChangeList.url_for_result:
        return False
    return not (cl.formset or cl.is_popup or cl.to_field)


def rows(cl: ChangeList) -> Iterator[ResultList]:
    """Each row as Django's `results()` yields it, its cells joined into one safe string."""
    if not is_fast(cl):
        yield from results(cl)
        return
    columns = _Columns(cl)
    for result in cl.result_list:
        yield ResultList(None, [columns.row(result)])


def result_list(cl: ChangeList) -> dict[str, Any]:
    """The context of Django's `result_list` inclusion tag, with the fast rows."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": list(rows(cl)),
    }
