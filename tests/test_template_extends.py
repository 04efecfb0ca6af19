"""`{% extends %}` (busanhub/extends.py) renders as Django's own, with the root template's blocks
listed once per compiled template."""

import pytest
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.loader import get_template
from django.template.loader_tags import ExtendsNode

from busanhub.extends import CachedBlocksExtendsNode, root_blocks

TEMPLATES = {
    "root.html": "<{% block title %}root title{% endblock %}|{% block body %}root body"
    "{% block inner %}root inner{% endblock %}{% endblock %}|{% if flag %}"
    "{% block flagged %}root flagged{% endblock %}{% endif %}>",
    "middle.html": '{% extends "root.html" %}{% block body %}middle[{{ block.super }}]'
    "{% endblock %}",
    "child.html": '{% extends "middle.html" %}{% block title %}child title{% endblock %}'
    "{% block inner %}child inner, {{ block.super }}{% endblock %}"
    "{% block flagged %}child flagged{% endblock %}",
    "by_variable.html": "{% extends parent %}{% block title %}from a variable{% endblock %}",
}


def engine(*, builtins: list[str]) -> Engine:
    return Engine(loaders=[("django.template.loaders.locmem.Loader", TEMPLATES)], builtins=builtins)


@pytest.mark.parametrize("flag", [True, False])
def test_a_three_level_page_renders_as_djangos_extends(flag):
    # Given the same templates under Django's extends and under the portal's
    django, portal = engine(builtins=[]), engine(builtins=["busanhub.extends"])
    context = {"flag": flag}

    # When each renders the child twice (the second render reads the kept blocks)
    expected = django.get_template("child.html").render(Context(context))
    child = portal.get_template("child.html")
    first, second = child.render(Context(context)), child.render(Context(context))

    # Then the text is the same, block.super and blocks inside {% if %} included
    assert expected == (
        "<child title|middle[root bodychild inner, root inner]|child flagged>"
        if flag
        else "<child title|middle[root bodychild inner, root inner]|>"
    )
    assert first == second == expected
    assert isinstance(child.nodelist[0], CachedBlocksExtendsNode)
    assert isinstance(child.nodelist[0], ExtendsNode)  # what code looking for extends sees


def test_the_blocks_are_kept_on_the_root_template_only():
    portal = engine(builtins=["busanhub.extends"])
    root, middle = portal.get_template("root.html"), portal.get_template("middle.html")

    # A root template's blocks, listed once and kept on that template object
    blocks = root_blocks(root)
    assert sorted(blocks) == ["body", "flagged", "inner", "title"]
    assert root_blocks(root) is blocks
    # A template that extends another has none of its own to add
    assert root_blocks(middle) is None
    # Another compiled copy of the same source (a reload) lists its own nodes
    reloaded = Template(TEMPLATES["root.html"], engine=portal)
    assert root_blocks(reloaded) is not blocks
    assert root_blocks(reloaded)["title"] is reloaded.nodelist[1]


def test_a_parent_given_as_a_template_object_and_the_errors_are_djangos():
    portal = engine(builtins=["busanhub.extends"])
    parent = portal.get_template("root.html")

    text = portal.get_template("by_variable.html").render(Context({"parent": parent}))

    assert text == "<from a variable|root bodyroot inner|>"
    with pytest.raises(TemplateSyntaxError, match="Invalid template name in 'extends' tag"):
        portal.get_template("by_variable.html").render(Context({"parent": ""}))
    with pytest.raises(TemplateSyntaxError, match="cannot appear more than once"):
        Template('{% extends "root.html" %}{% extends "root.html" %}', engine=portal)


def test_the_portals_templates_use_it():
    page = get_template("home.html").template

    assert type(page.nodelist[0]) is CachedBlocksExtendsNode
