"""`{% course_part "name" key %}…{% endcourse_part %}`: a part of a course or lesson page that
is the same for every reader in the same language, rendered once per process for each cached
content entry. `key` names the entry and the generation it was built in (education/content.py:
`CourseContent.part_key`), so a change of the course starts a new key; an empty key renders the
part every time.

The rules of busanhub/fragments.py's `{% shared %}` apply: nothing about one reader inside (their
enrollment, progress, role), no `{% csrf_token %}`, no `request.*`. Kept in this process's
memory (a round trip to Redis would cost what the rendering saves), at most LIMIT parts: a full
store is emptied (parts of past generations are never read again). With DEBUG on, nothing is
kept.
"""

from django import template
from django.conf import settings
from django.urls import get_script_prefix
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

LIMIT = 2000
_rendered: dict[tuple[str, str, str | None, str], SafeString] = {}


class CoursePartNode(template.Node):
    def __init__(self, name: str, key: template.base.FilterExpression, nodelist):
        self.name = name
        self.key = key
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        key = self.key.resolve(context)
        if settings.DEBUG or not key:
            return self.nodelist.render(context)
        stored = (self.name, str(key), get_language(), get_script_prefix())
        text = _rendered.get(stored)
        if text is None:
            if len(_rendered) >= LIMIT:
                _rendered.clear()
            text = _rendered[stored] = self.nodelist.render(context)
        return text


@register.tag("course_part")
def course_part(parser: template.base.Parser, token: template.base.Token) -> CoursePartNode:
    bits = token.split_contents()
    if len(bits) != 3 or bits[1][:1] not in "\"'" or bits[1][0] != bits[1][-1]:
        usage = '{% course_part "name" key %}…{% endcourse_part %}'
        raise template.TemplateSyntaxError(f"usage: {usage}")
    nodelist = parser.parse(("endcourse_part",))
    parser.delete_first_token()
    return CoursePartNode(bits[1][1:-1], parser.compile_filter(bits[2]), nodelist)
