import pytest

from enrich import tree
from enrich.errors import PathError

DOC = {"content": "ab", "language": "en",
       "pages": [{"number": 1, "text": "a", "ents": [{"t": "x"}, {"t": "y"}]},
                 {"number": 2, "text": "b", "ents": []}]}


def test_parse_and_format_roundtrip():
    assert tree.parse("/document/pages/*/text") == ("pages", "*", "text")
    assert tree.format_path(("pages", "*", "text")) == "/document/pages/*/text"
    assert tree.parse("/document") == ()


@pytest.mark.parametrize("bad", ["document/content", "/doc/content", "/document//x", 3])
def test_parse_rejects_bad_paths(bad):
    with pytest.raises(PathError):
        tree.parse(bad)


def test_expand_fans_out_over_lists():
    found = list(tree.expand(DOC, tree.parse("/document/pages/*/number")))
    assert found == [(("pages", 0, "number"), 1), (("pages", 1, "number"), 2)]


def test_resolve_input_relative_to_context_and_from_root():
    context = tree.parse("/document/pages/*")
    second = ("pages", 1)
    assert tree.resolve_input(DOC, context, second, tree.parse("/document/pages/*/text")) == "b"
    assert tree.resolve_input(DOC, context, second, tree.parse("/document/language")) == "en"
    # deeper than the context: a list
    first = ("pages", 0)
    assert tree.resolve_input(DOC, context, first, tree.parse("/document/pages/*/ents/*/t")) == ["x", "y"]
    assert tree.resolve_input(DOC, context, first, tree.parse("/document/missing")) is None


def test_set_child_writes_under_the_node():
    doc = {"pages": [{"text": "a"}]}
    tree.set_child(doc, ("pages", 0), "upper", "A")
    assert doc["pages"][0]["upper"] == "A"
    with pytest.raises(PathError):
        tree.set_child(doc, ("pages", 0, "text"), "x", 1)
