"""`{% shared "name" [key] %}…{% endshared %}`: a part of a page that is the same for every reader
who reads in the same language and is signed in or not, rendered once per process (and per
`key`, when given: e.g. a cached course entry and the generation it was built in,
education/content.py's `part_key`; an empty key renders the part every time).

The base template's header and footer (15 `{% url %}`, 14 translations, the language list) cost
about half of a text-only page's CPU, yet depend only on the code, the catalogues, the installed
services and the script prefix: all fixed for a process's life (a deploy starts new processes).
So the rendered text is kept in this process's memory, not in Redis (a round trip and a pickle
would cost more than the rendering saves), keyed by the fragment's name, the active language,
whether the reader is signed in and the script prefix.

What may go inside: nothing about one reader (names, counts, their records) unless the key holds
all of it (education's course outline: its key names the lessons the reader has done, so only
readers in that same state share it), no `{% csrf_token %}` and no `request.*` (a shared
fragment would hand one reader's token or path to the next). Those stay outside, between two
shared fragments. With DEBUG on, nothing is kept (templates change
under a running development server). At most LIMIT parts are kept: a full store is emptied
(parts of a past key are never read again).
"""

from django import template
from django.conf import settings
from django.urls import get_script_prefix
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

LIMIT = 2000
_rendered: dict[tuple[str, str, str | None, bool, str], SafeString] = {}


def shared_clear() -> None:
    """Forget every rendered fragment (tests that change what the fragments show)."""
    _rendered.clear()


class SharedNode(template.Node):
    def __init__(
        self,
        name: str,
        nodelist: template.NodeList,
        part: template.base.FilterExpression | None = None,
    ):
        self.name = name
        self.nodelist = nodelist
        self.part = part

    def render(self, context: template.Context) -> str:
        part = str(self.part.resolve(context) or "") if self.part else "-"
        if settings.DEBUG or not part:
            return self.nodelist.render(context)
        user = context.get("user")
        key = (
            self.name,
            part,
            get_language(),
            bool(user is not None and user.is_authenticated),
            get_script_prefix(),
        )
        text = _rendered.get(key)
        if text is None:
            if len(_rendered) >= LIMIT:
                _rendered.clear()
            # NodeList.render returns a SafeString: the parts inside were escaped as usual.
            text = _rendered[key] = self.nodelist.render(context)
        return text


@register.tag("shared")
def shared(parser: template.base.Parser, token: template.base.Token) -> SharedNode:
    bits = token.split_contents()
    if len(bits) not in (2, 3) or bits[1][:1] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('usage: {% shared "name" [key] %}…{% endshared %}')
    nodelist = parser.parse(("endshared",))
    parser.delete_first_token()
    part = parser.compile_filter(bits[2]) if len(bits) == 3 else None
    return SharedNode(bits[1][1:-1], nodelist, part)
