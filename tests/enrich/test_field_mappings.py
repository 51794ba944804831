"""Field mappings: a skillset maps record columns (or any node) to typed index fields,
which filter, facet and sort on both backends; `enrich search --filter/--sort/--skip`."""

from __future__ import annotations

import csv
import json
import uuid

import pytest
from typer.testing import CliRunner

from enrich.cli import app
from enrich.indexer import IndexOptions, run_index
from enrich.plan import build_plan
from enrich.searching import search
from enrich.skillset import Skillset
from indexers.stores import FieldSpec, QueryError, TantivyIndex, open_index
from indexers.stores.fields import (FieldMappingError, FieldNameError, FieldSourceError,
                                    FieldTypeError, convert)
from tests.indexers.fake_elasticsearch import fake_es  # noqa: F401 - a fixture

ROWS = [("key", "body", "depot", "weight", "shipped", "fragile"),
        ("p1", "A crate of copper kettles bound for the coast.", "Harbor", "12.5", "2023-04-02", "yes"),
        ("p2", "Two barrels of pickled plums, sealed with wax.", "Upland", "40", "2023-01-15", "no"),
        ("p3", "A copper bell wrapped in felt and straw.", "Harbor", "3.25", "2022-11-30", "true"),
        ("p4", "Spare wheel spokes and a tin of grease.", "Harbor", "not weighed", "2023-06-09", "0"),
        ("p5", "A copper lantern with a cracked pane.", "Lowmarsh", "7", "2023-02-20", "1")]
FIELDS = {"depot": {"source": "/document/metadata/record/depot", "type": "keyword",
                    "facetable": True, "filterable": True},
          "weight": {"source": "/document/metadata/record/weight", "type": "number",
                     "sortable": True, "filterable": True, "facetable": True},
          "shipped": {"source": "/document/metadata/record/shipped", "type": "date",
                      "sortable": True, "filterable": True},
          "fragile": {"source": "/document/metadata/record/fragile", "type": "bool",
                      "filterable": True, "facetable": True},
          "language": "/document/language"}


def skillset(fields=None) -> dict:
    return {"skills": ["language"], "fields": FIELDS if fields is None else fields}


@pytest.fixture
def parcels(tmp_path):
    folder = tmp_path / "parcels"
    folder.mkdir()
    with open(folder / "parcels.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(ROWS)
    return folder


def index(folder, data, fields=None, index_url=None):
    return run_index(str(folder), IndexOptions(
        data_dir=data, workers=0, skillset=skillset(fields), index_url=index_url,
        source_options={"parsing_mode": "csv", "key": "key", "text_columns": ["body"]}))


def keys(result) -> list[str]:
    return [hit["uri"].rsplit("=", 1)[1] for hit in result.results]


def facet(result, name) -> dict:
    return {b["value"]: b["count"] for b in result.facets[name]}


@pytest.fixture
def indexed(parcels, tmp_path):
    data = tmp_path / "data"
    summary = index(parcels, data)
    assert summary.documents["indexed"] == 5
    return data, summary


@pytest.fixture(params=["tantivy", "fake-es"])
def where(request, parcels, tmp_path):
    """The parcels indexed into each backend: ``(data dir, index url)``."""
    data = tmp_path / "data"
    url = None
    if request.param == "fake-es":
        url = request.getfixturevalue("fake_es").url(f"parcels-{uuid.uuid4().hex[:8]}")
    assert index(parcels, data, index_url=url).documents["indexed"] == 5
    return data, url


def test_columns_facet_filter_and_sort_with_their_types(where):
    data, url = where
    everything = search(data, "*", index_url=url, facets=["depot", "fragile", "weight"])
    assert facet(everything, "depot") == {"Harbor": 3, "Upland": 1, "Lowmarsh": 1}
    assert facet(everything, "fragile") == {True: 3, False: 2}
    assert facet(everything, "weight") == {12.5: 1, 40.0: 1, 3.25: 1, 7.0: 1}
    copper = search(data, "copper", index_url=url, filters={"depot": ["Harbor"]})
    assert sorted(keys(copper)) == ["p1", "p3"]
    assert keys(search(data, "*", index_url=url, filters={"weight": ["40"]})) == ["p2"]
    assert sorted(keys(search(data, "*", index_url=url, filters={"fragile": ["no"]}))) == \
        ["p2", "p4"]
    assert keys(search(data, "*", index_url=url, filters={"shipped": ["2022-11-30"]})) == ["p3"]
    heaviest = search(data, "*", index_url=url, sort="-weight", top=10)
    assert keys(heaviest)[:4] == ["p2", "p1", "p5", "p3"] and heaviest.results[0]["score"] is None
    assert keys(search(data, "*", index_url=url, sort="shipped", top=2)) == ["p3", "p2"]


def test_number_and_date_fields_filter_on_ranges(where):
    data, url = where

    def found(**filters):
        return sorted(keys(search(data, "*", index_url=url, filters=filters)))
    assert found(weight=["5..13"]) == ["p1", "p5"]
    assert found(weight=["..4"]) == ["p3"] and found(weight=["30.."]) == ["p2"]
    assert found(weight=["..4", "40"]) == ["p2", "p3"]  # a range or a value
    assert found(shipped=["2023-01-01..2023-03-31"]) == ["p2", "p5"]
    assert found(shipped=["2023-04-02.."], depot=["Harbor"]) == ["p1", "p4"]
    with pytest.raises(QueryError, match="a range needs an end"):
        found(weight=[".."])
    with pytest.raises(QueryError, match="cannot filter shipped"):
        found(shipped=["soon..later"])


def test_paging_with_an_offset_follows_the_sort(where):
    data, url = where
    first = search(data, "*", index_url=url, sort="weight", top=2)
    second = search(data, "*", index_url=url, sort="weight", top=2, offset=2)
    assert keys(first) == ["p3", "p5"] and keys(second) == ["p1", "p2"]
    assert second.count == 5


def test_a_value_that_is_not_of_the_type_is_a_warning_not_a_failure(indexed):
    data, summary = indexed
    assert summary.status == "ok" and summary.documents["failed"] == 0
    warned = [e for e in summary.errors if e["severity"] == "warning"]
    assert len(warned) == 1 and warned[0]["uri"].endswith("key=p4")
    assert "'weight'" in warned[0]["message"] and "'not weighed'" in warned[0]["message"]
    assert keys(search(data, "grease")) == ["p4"]  # indexed, without a weight
    assert "p4" not in keys(search(data, "*", filters={"weight": ["0"]}))


def test_the_cli_filters_sorts_and_skips(indexed):
    data, _ = indexed
    base = ["search", "*", "--data", str(data), "--json"]

    def run(*args):
        result = CliRunner().invoke(app, base + list(args))
        assert result.exit_code == 0, result.output
        return [hit["uri"].rsplit("=", 1)[1] for hit in json.loads(result.stdout)["results"]]
    assert sorted(run("--filter", "depot=Harbor", "--filter", "weight=12.5")) == ["p1"]
    assert sorted(run("--filter", "weight=5..20")) == ["p1", "p5"]
    assert run("--sort", "weight:desc", "--top", "2") == ["p2", "p1"]
    assert run("--sort", "weight:desc", "--top", "2", "--skip", "2") == ["p5", "p3"]
    assert run("--sort", "weight", "--top", "1") == ["p3"]
    facets = CliRunner().invoke(app, base + ["--facet", "depot"])
    assert json.loads(facets.stdout)["facets"]["depot"][0] == {"value": "Harbor", "count": 3}
    text = CliRunner().invoke(app, ["search", "*", "--data", str(data), "--sort", "weight"])
    assert text.exit_code == 0 and "score" not in text.output


@pytest.mark.parametrize("args, message", [
    (["--filter", "weight=heavy"], "cannot filter weight (number) on 'heavy'"),
    (["--facet", "shipped"], "cannot facet on 'shipped'"),
    (["--sort", "depot"], "cannot sort on 'depot'"),
    (["--sort", "weight:up"], "'weight:up': expected FIELD"),
])
def test_the_cli_refuses_what_the_fields_cannot_do(indexed, args, message):
    data, _ = indexed
    result = CliRunner().invoke(app, ["search", "*", "--data", str(data), *args])
    assert result.exit_code == 2 and message in result.output


def test_the_index_marker_lists_the_fields_and_another_mapping_rebuilds(parcels, tmp_path):
    data = tmp_path / "data"
    index(parcels, data)
    marker = json.loads((data / "index" / "enrich-index.json").read_text())
    assert [f["name"] for f in marker["user_fields"]] == ["depot", "fragile", "shipped", "weight"]
    with TantivyIndex(data / "index", write=True,
                      fields=[FieldSpec("depot", "keyword", filterable=True)]) as other:
        assert other.stale and "other user fields" in other.stale
    fewer = {"depot": FIELDS["depot"], "heft": {**FIELDS["weight"]}}
    summary = index(parcels, data, fewer)
    assert summary.documents["indexed"] == 5  # the mapping changed: enriched again
    assert keys(search(data, "*", sort="-heft", top=1)) == ["p2"]
    with pytest.raises(QueryError, match="cannot sort on 'weight'"):
        search(data, "*", sort="weight")
    with open_index(data) as reader:
        assert {s.name for s in reader.fields} == {"depot", "heft"}
        index(parcels, data, {"weight": FIELDS["weight"]})  # a reader kept open (the server)
        reader.refresh()
        assert keys(reader.search("*", sort="-weight", top=1)) == ["p2"]


def test_another_mapping_rebuilds_an_elasticsearch_index_too(parcels, tmp_path, fake_es):
    data, url = tmp_path / "data", fake_es.url(f"parcels-{uuid.uuid4().hex[:8]}")
    index(parcels, data, index_url=url)
    with open_index(data, url) as reader:
        assert reader.search("*", facets=["depot"]).facets["depot"][0]["value"] == "Harbor"
        assert {s.name for s in reader.fields} == {"depot", "weight", "shipped", "fragile"}
    index(parcels, data, {"heft": FIELDS["weight"]}, index_url=url)
    assert keys(search(data, "*", index_url=url, sort="-heft", top=1)) == ["p2"]
    with pytest.raises(QueryError, match="cannot facet on 'depot'"):
        search(data, "*", index_url=url, facets=["depot"])


def test_a_skill_output_maps_to_a_typed_field(parcels, tmp_path):
    data = tmp_path / "data"
    fields = {"lang": {"source": "/document/language", "type": "keyword", "sortable": True,
                       "facetable": True}}
    index(parcels, data, fields)
    assert facet(search(data, "*", facets=["lang"]), "lang") == {"en": 5}


def test_the_short_form_keeps_built_in_fields_and_makes_keyword_facets(parcels, tmp_path):
    data = tmp_path / "data"
    fields = {"language": "/document/language", "depot": "/document/metadata/record/depot"}
    index(parcels, data, fields)
    found = search(data, "copper", facets=["language", "depot"])
    assert facet(found, "language") == {"en": 3}
    assert facet(found, "depot") == {"Harbor": 2, "Lowmarsh": 1}
    assert Skillset.from_dict(skillset(fields)).field_specs == (
        FieldSpec("depot", "keyword", filterable=True, facetable=True),)


def test_a_searchable_text_field_is_searched_with_the_content(parcels, tmp_path):
    data = tmp_path / "data"
    fields = {"place": {"source": "/document/metadata/record/depot", "type": "text"}}
    index(parcels, data, fields)
    assert keys(search(data, "lowmarsh")) == ["p5"]


@pytest.mark.parametrize("fields, error, words", [
    ({"depot": {"source": "/document/nowhere/depot", "type": "keyword"}}, FieldSourceError,
     ["field 'depot'", "/document/nowhere/depot", "nothing produces"]),
    ({"depot": {"source": "/document/metadata/record/depot", "type": "money"}}, FieldTypeError,
     ["field 'depot'", "unknown type 'money'", "keyword, number"]),
    ({"fragile": {"source": "/document/metadata/record/fragile", "type": "bool",
                  "sortable": True}}, FieldTypeError,
     ["field 'fragile'", "/document/metadata/record/fragile", "cannot be sortable"]),
    ({"body": {"source": "/document/metadata/record/body", "type": "text",
               "facetable": True}}, FieldTypeError, ["a text field cannot be facetable"]),
    ({"people": {"source": "/document/metadata/record/depot"}}, FieldNameError,
     ["field 'people'", "clashes with the built-in index field 'people'"]),
    ({"title": "/document/language"}, FieldNameError,
     ["field 'title'", "clashes with the built-in index field 'title'"]),
    ({"language": {"source": "/document/language", "type": "number"}}, FieldNameError,
     ["built-in keyword field"]),
    ({"depot": {"source": "/document/metadata/record/depot", "colour": "red"}},
     FieldMappingError, ["unknown keys ['colour']"]),
    ({"2nd": "/document/language"}, FieldMappingError, ["a field name is letters"]),
    ({"depot": {"type": "keyword"}}, FieldMappingError, ["expected a tree path"]),
])
def test_a_bad_mapping_fails_before_the_run_naming_the_field(parcels, tmp_path, fields, error,
                                                              words):
    with pytest.raises(error) as raised:
        index(parcels, tmp_path / "data", fields)
    assert all(word in str(raised.value) for word in words), str(raised.value)
    assert raised.value.code.startswith("E13")
    assert not (tmp_path / "data").exists()  # nothing ran


def test_validation_errors_reach_the_cli_as_one_line(parcels, tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps(skillset(
        {"depot": {"source": "/document/metadata/record/depot", "type": "money"}})))
    result = CliRunner().invoke(app, ["index", str(parcels), "--data", str(tmp_path / "d"),
                                      "--skillset", str(tmp_path / "bad.json")])
    assert result.exit_code == 2 and "error E132" in result.output


@pytest.mark.parametrize("kind, values, kept, bad", [
    ("number", ["12.5", 3, " 7 ", "1_000", "abc", "nan", True], [12.5, 3.0, 7.0, 1000.0], 3),
    ("date", ["2023-04-02", "2023-04-02T10:00:00Z", "April", "1500-01-01"],
     ["2023-04-02T00:00:00+00:00", "2023-04-02T10:00:00+00:00"], 2),
    ("bool", ["yes", "No", 1, "maybe"], [True, False], 1),
    ("keyword", ["a", 2, "a"], ["a", "2"], 0),
])
def test_values_are_converted_to_the_declared_type(kind, values, kept, bad):
    found, problems = convert(FieldSpec("f", kind), values)
    assert found == kept and len(problems) == bad


def test_the_http_api_filters_facets_and_sorts_on_user_fields(where):
    from fastapi.testclient import TestClient

    from enrich.server import create_app
    data, url = where
    client = TestClient(create_app(data, index_url=url))
    answer = client.get("/api/search", params=[
        ("q", "*"), ("facet", "depot"), ("facet", "fragile"), ("filter", "depot:Harbor"),
        ("filter", "weight:3..20"), ("sort", "-weight")])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [hit["uri"].rsplit("=", 1)[1] for hit in body["results"]] == ["p1", "p3"]
    assert body["facets"]["depot"] == [{"value": "Harbor", "count": 2}]
    assert {b["value"]: b["count"] for b in body["facets"]["fragile"]} == {True: 2}
    for params, parameter in ((("facet", "shipped"), "facet"), (("sort", "depot"), "sort"),
                              (("filter", "colour:red"), "filter")):
        refused = client.get("/api/search", params=[("q", "*"), params])
        assert refused.status_code == 400, params
        error = refused.json()["error"]
        assert error["code"] == "invalid_parameter"
        assert error["details"]["parameter"] == parameter


def test_the_lenient_syntax_knows_the_user_fields(where):
    data, url = where
    for syntax in ("lenient", "strict"):
        assert sorted(keys(search(data, "depot:Harbor", index_url=url, syntax=syntax,
                                  mode="keyword"))) == ["p1", "p3", "p4"], syntax
        assert sorted(keys(search(data, "depot:Harbor AND copper", index_url=url,
                                  syntax=syntax, mode="keyword"))) == ["p1", "p3"], syntax
    # a prefix that is no field of this index is still read as words
    assert keys(search(data, "colour:copper", index_url=url, mode="keyword")) != []
