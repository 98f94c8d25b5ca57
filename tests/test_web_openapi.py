"""The web API's OpenAPI document names the shape of every JSON answer, and real answers have it:
``/api/compare`` the published comparison JSON Schema, ``/api/drugs``, ``/api/signals`` and
``/healthz`` their models, every error ErrorBody. Answers are checked with jsonschema against the
OpenAPI document as served (its references resolved in it), on the embedded pack and a synthetic
FAERS warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from helpers import get

from rxcompare.sources.pack import load_pack
from rxcompare.web import create_app

DOCS = Path(__file__).resolve().parents[1] / "docs" / "schemas"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from rxcompare.errors import PackError
    from rxcompare.sources.faers.synth import synth_quarters
    from rxcompare.sources.faers.warehouse import Warehouse

    try:
        pack = load_pack()
    except PackError as exc:
        pytest.skip(f"the embedded knowledge pack is not available ({exc})")
    root = tmp_path_factory.mktemp("openapi")
    synth_quarters(root / "q", reports=3000, quarters=1, seed=7)
    wh = Warehouse(root / "wh")
    for z in sorted((root / "q").glob("*.zip")):
        wh.ingest(z)
    return create_app(pack, warehouse=wh.path)


@pytest.fixture(scope="module")
def openapi(app):
    return get(app, "/openapi.json").json()


def answer_schema(openapi: dict, path: str, status: str = "200") -> dict:
    return openapi["paths"][path]["get"]["responses"][status]["content"]["application/json"][
        "schema"
    ]


def check(openapi: dict, schema: dict, body: object) -> None:
    """Validate ``body`` against ``schema`` as the OpenAPI document holds it (a ``$ref`` into its
    components resolved in the document itself)."""
    root = {**openapi, **schema} if "$ref" in schema else schema
    jsonschema.Draft202012Validator(root).validate(body)


@pytest.mark.parametrize(
    "path, name",
    [
        ("/api/drugs", "DrugsAnswer"),
        ("/api/signals", "SignalsAnswer"),
        ("/healthz", "HealthAnswer"),
    ],
)
def test_openapi_names_each_answers_model(openapi, path, name):
    assert answer_schema(openapi, path) == {"$ref": f"#/components/schemas/{name}"}
    assert openapi["components"]["schemas"][name]["additionalProperties"] is False


def test_openapi_embeds_the_published_comparison_schema(openapi):
    published = json.loads((DOCS / "comparison.schema.json").read_text(encoding="utf-8"))
    assert answer_schema(openapi, "/api/compare") == published
    assert published["$id"].endswith("/comparison.schema.json")


@pytest.mark.parametrize("path", ["/api/compare", "/api/drugs", "/api/signals"])
def test_openapi_names_the_error_shape(openapi, path):
    for status in ("404", "422", "503"):
        assert answer_schema(openapi, path, status) == {"$ref": "#/components/schemas/ErrorBody"}


@pytest.mark.parametrize(
    "path, url",
    [
        ("/api/compare", "/api/compare?a=kesimpta&b=ocrevus"),
        ("/api/drugs", "/api/drugs?q=o&limit=20"),
        ("/api/signals", "/api/signals?a=kesimpta&b=ocrevus"),
        ("/healthz", "/healthz"),
    ],
)
def test_real_answers_have_the_shape_openapi_states(app, openapi, path, url):
    r = get(app, url)
    assert r.status_code == 200, r.text
    body = r.json()
    check(openapi, answer_schema(openapi, path), body)
    if path == "/api/drugs":  # a warehouse name too (the synthetic names start with q or x)
        more = get(app, "/api/drugs?q=q&limit=50").json()
        check(openapi, answer_schema(openapi, path), more)
        assert {d["source"] for d in body["drugs"] + more["drugs"]} == {"pack", "warehouse"}
    if path == "/api/signals":
        assert body["signals"] and body["per_year"]


@pytest.mark.parametrize(
    "url, status",
    [("/api/compare?a=nosuch&b=ocrevus", 404), ("/api/signals?a=kesimpta&b=kesimpta", 422)],
)
def test_real_errors_have_the_error_shape(app, openapi, url, status):
    r = get(app, url)
    assert r.status_code == status
    check(openapi, answer_schema(openapi, url.split("?")[0], str(status)), r.json())


def test_a_damaged_answer_fails_the_check(app, openapi):
    # the checks above can fail: an answer with a field the model does not name is refused
    body = get(app, "/healthz").json()
    with pytest.raises(jsonschema.ValidationError):
        check(openapi, answer_schema(openapi, "/healthz"), {**body, "extra": 1})
    with pytest.raises(jsonschema.ValidationError):
        check(openapi, answer_schema(openapi, "/api/compare"), {"schema": "rxcompare/comparison"})


def test_the_package_ships_the_published_schemas_unchanged():
    # the web app serves the package's copies (an installed app has no docs/ folder)
    from importlib import resources

    shipped = resources.files("rxcompare") / "data" / "schemas"
    names = sorted(p.name for p in DOCS.glob("*.schema.json"))
    assert names == sorted(p.name for p in shipped.iterdir() if p.name.endswith(".schema.json"))
    for name in names:
        assert (shipped / name).read_bytes() == (DOCS / name).read_bytes(), (
            f"src/rxcompare/data/schemas/{name} differs from docs/schemas/{name}: edit both alike"
        )
