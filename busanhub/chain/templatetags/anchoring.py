"""`{% anchor_status digest %}`: a record's anchoring state, the same on every page.

    {% load anchoring %}
    {% anchor_prefetch timeline "digest" %}   {# optional: one query for a whole list #}
    {% anchor_status report.digest %}
    {% anchor_status payment.journal.digest testid="verify-link" %}

Pending (with "usually under a minute"), anchored (block, time in Asia/Seoul, link to
/verify/<digest>) or failed (no record has this digest). A pending state polls
`chain:anchor-status` (/verify/status/<digest>) every few seconds with htmx and is replaced in
place; the anchored and failed states carry no trigger, so polling stops there.
"""

import re

from django import template
from django.template.loader import render_to_string

from busanhub.chain import selectors

register = template.Library()

_PREFETCHED = "chain.anchor_states"
TESTID = re.compile(r"^[a-z0-9-]{1,40}$")


def _value(item, name: str):
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


@register.simple_tag(takes_context=True)
def anchor_prefetch(context, items, attribute: str = "digest") -> str:
    """Reads the states of every item's digest in one query, for the `anchor_status` tags that
    follow in the same rendering (a list page would otherwise query once per row)."""
    digests = [d for d in (_value(item, attribute) for item in items or ()) if d]
    known = context.render_context.get(_PREFETCHED, {})
    context.render_context[_PREFETCHED] = {**known, **selectors.anchor_states(digests)}
    return ""


@register.simple_tag(takes_context=True)
def anchor_status(context, digest, testid: str = "") -> str:
    """The component for one digest (or for an `AnchorState` the view has already read);
    renders nothing without one (nothing was anchored)."""
    if not digest:
        return ""
    if isinstance(digest, selectors.AnchorState):
        state = digest
    else:
        state = context.render_context.get(_PREFETCHED, {}).get(digest)
    if state is None:
        state = selectors.anchor_state(digest)
    return render_to_string(
        "chain/anchor_status.html",
        {"state": state, "testid": testid if TESTID.match(testid or "") else ""},
        request=context.get("request"),
    )
