"""Executable checks for the bank's request-validation and OpenAPI questions (marshmallow, pydantic, flask-smorest)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask, request
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from pydantic import BaseModel, Field, ValidationError, field_validator


class PetSchema(ma.Schema):
    id = ma.fields.Int(dump_only=True)
    name = ma.fields.Str(required=True)
    age = ma.fields.Int()


class PetQuerySchema(ma.Schema):
    limit = ma.fields.Int(load_default=10)


# ---------------------------------------------------------------- marshmallow


def test_marshmallow_load_rejects_unknown_fields_by_default() -> None:
    with pytest.raises(ma.ValidationError) as info:
        PetSchema().load({"name": "Rex", "colour": "brown"})
    assert info.value.messages == {"colour": ["Unknown field."]}
    # Opting out is explicit: EXCLUDE drops them, INCLUDE keeps them.
    assert PetSchema(unknown=ma.EXCLUDE).load({"name": "Rex", "colour": "brown"}) == {"name": "Rex"}
    assert PetSchema(unknown=ma.INCLUDE).load({"name": "Rex", "colour": "brown"}) == {"name": "Rex", "colour": "brown"}
    assert PetSchema().load({"name": "Rex", "colour": "brown"}, unknown=ma.EXCLUDE) == {"name": "Rex"}
    # dump_only fields count as unknown on load: a client cannot set the id.
    with pytest.raises(ma.ValidationError) as info:
        PetSchema().load({"name": "Rex", "id": 5})
    assert info.value.messages == {"id": ["Unknown field."]}


def test_marshmallow_collects_every_error_per_field() -> None:
    with pytest.raises(ma.ValidationError) as info:
        PetSchema().load({"age": "old", "colour": "brown"})
    assert info.value.messages == {
        "name": ["Missing data for required field."],
        "age": ["Not a valid integer."],
        "colour": ["Unknown field."],
    }


def test_marshmallow_int_truncates_floats_unless_strict() -> None:
    assert PetSchema().load({"name": "Rex", "age": 3.7}) == {"name": "Rex", "age": 3}
    assert PetSchema().load({"name": "Rex", "age": "3"}) == {"name": "Rex", "age": 3}
    with pytest.raises(ma.ValidationError):
        PetSchema().load({"name": "Rex", "age": "3.7"})

    class StrictSchema(ma.Schema):
        age = ma.fields.Int(strict=True)

    for value in (3.7, 3.0, "3"):
        with pytest.raises(ma.ValidationError) as info:
            StrictSchema().load({"age": value})
        assert info.value.messages == {"age": ["Not a valid integer."]}
    assert StrictSchema().load({"age": 3}) == {"age": 3}


def test_marshmallow_4_removed_missing_and_default() -> None:
    with pytest.raises(TypeError, match="missing"):
        ma.fields.Str(missing="x")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="default"):
        ma.fields.Str(default="x")  # type: ignore[call-arg]
    assert PetQuerySchema().load({}) == {"limit": 10}


def test_marshmallow_dump_does_not_validate() -> None:
    # A required field that is missing is left out; extra attributes are dropped; values are coerced.
    assert PetSchema().dump({"age": "7", "secret": "x"}) == {"age": 7}
    assert PetSchema().dump({"name": 5}) == {"name": "5"}
    # Only load() raises ValidationError; validate() returns the errors load() would raise.
    assert PetSchema().validate({"age": 7}) == {"name": ["Missing data for required field."]}


# ---------------------------------------------------------------- pydantic


class Item(BaseModel):
    qty: int
    name: str


def test_pydantic_lax_mode_coerces_numeric_strings_but_not_ints_to_str_and_ignores_extras() -> None:
    item = Item.model_validate({"qty": "3", "name": "bolt", "note": "x"})
    assert item.qty == 3 and item.model_dump() == {"qty": 3, "name": "bolt"}
    assert not hasattr(item, "note")
    with pytest.raises(ValidationError) as info:
        Item.model_validate({"qty": "3", "name": 42, "note": "x"})
    errors = info.value.errors(include_url=False)
    assert [(e["loc"], e["type"]) for e in errors] == [(("name",), "string_type")]
    with pytest.raises(ValidationError) as info:
        Item.model_validate({"qty": 3.5, "name": "bolt"})
    assert info.value.errors()[0]["type"] == "int_from_float"
    assert Item.model_validate({"qty": True, "name": "bolt"}).qty == 1
    with pytest.raises(ValidationError) as info:
        Item.model_validate({"qty": "3", "name": "bolt"}, strict=True)
    assert info.value.errors()[0]["type"] == "int_type"


class NamedItem(BaseModel):
    name: str = Field(min_length=2)
    qty: int

    @field_validator("name")
    @classmethod
    def no_spaces(cls, value: str) -> str:
        if " " in value:
            raise ValueError("no spaces allowed")
        return value


def _pydantic_app(handler: str | None) -> Flask:
    app = Flask(__name__)

    if handler == "raw":

        @app.errorhandler(ValidationError)
        def raw(e: ValidationError) -> tuple[dict[str, Any], int]:
            return {"errors": e.errors()}, 422

    elif handler == "clean":

        @app.errorhandler(ValidationError)
        def clean(e: ValidationError) -> tuple[dict[str, Any], int]:
            errors = e.errors(include_url=False, include_context=False, include_input=False)
            return {"errors": errors}, 422

    @app.post("/items")
    def create() -> tuple[dict[str, Any], int]:
        item = NamedItem.model_validate(request.get_json())
        return item.model_dump(), 201

    return app


def test_pydantic_validation_error_without_a_handler_is_a_500() -> None:
    app = _pydantic_app(None)
    response = app.test_client().post("/items", json={"qty": 1})
    assert response.status_code == 500
    from werkzeug.exceptions import HTTPException

    # A ValueError, not an HTTPException: Flask treats it as any unhandled error.
    assert issubclass(ValidationError, ValueError) and not issubclass(ValidationError, HTTPException)
    # Under TESTING the exception propagates to the test instead.
    app.testing = True
    with pytest.raises(ValidationError):
        app.test_client().post("/items", json={"qty": 1})


def test_pydantic_errors_with_a_custom_validator_are_not_json_serializable() -> None:
    # Built-in constraints put plain values in ctx: the raw list serializes.
    good = _pydantic_app("raw").test_client().post("/items", json={"name": "a", "qty": 1})
    assert good.status_code == 422
    assert good.json["errors"][0]["ctx"] == {"min_length": 2} and good.json["errors"][0]["input"] == "a"
    # A validator that raises ValueError puts the exception object in ctx: the handler itself fails.
    with pytest.raises(ValidationError) as info:
        NamedItem.model_validate({"name": "a b", "qty": 1})
    assert isinstance(info.value.errors()[0]["ctx"]["error"], ValueError)
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps(info.value.errors())
    raw = _pydantic_app("raw").test_client().post("/items", json={"name": "a b", "qty": 1})
    assert raw.status_code == 500
    # Dropping ctx/input/url (or using e.json()) gives a clean, serializable 422.
    clean = _pydantic_app("clean").test_client().post("/items", json={"name": "a b", "qty": 1})
    assert clean.status_code == 422
    assert clean.json == {"errors": [{"type": "value_error", "loc": ["name"], "msg": "Value error, no spaces allowed"}]}
    assert json.loads(info.value.json())[0]["ctx"] == {"error": "no spaces allowed"}


def test_flask_get_json_answers_400_for_bad_json_and_415_for_another_content_type() -> None:
    app = _pydantic_app("clean")
    client = app.test_client()
    assert client.post("/items", data="{not json", content_type="application/json").status_code == 400
    assert client.post("/items", data="name=ab&qty=1").status_code == 415
    assert client.post("/items", json={"name": "ab", "qty": "x"}).status_code == 422
    assert client.post("/items", json={"name": "ab", "qty": "1"}).status_code == 201


# ---------------------------------------------------------------- flask-smorest and apispec


def _smorest_app(spec_kwargs: dict[str, Any] | None = None, **config: Any) -> tuple[Flask, Api, list[Any]]:
    app = Flask(__name__)
    app.config.update(API_TITLE="Pets", API_VERSION="v1", OPENAPI_VERSION="3.0.3", **config)
    api = Api(app, spec_kwargs=spec_kwargs)
    blp = Blueprint("pets", __name__, url_prefix="/pets")
    seen: list[Any] = []

    @blp.route("/")
    class Pets(MethodView):
        @blp.arguments(PetQuerySchema, location="query")
        @blp.response(200, PetSchema(many=True))
        def get(self, args: dict[str, Any]) -> list[dict[str, Any]]:
            seen.append(args)
            # What the view returns is dumped through the schema, never validated against it.
            return [{"id": 1, "name": "Rex", "age": 3, "owner_email": "ann@example.com"}, {"id": 2, "age": "7"}]

        @blp.arguments(PetSchema)
        @blp.response(201, PetSchema)
        def post(self, new: dict[str, Any]) -> dict[str, Any]:
            seen.append(new)
            return {"id": 3, **new}

    @blp.route("/<int:pet_id>")
    class PetById(MethodView):
        @blp.arguments(PetSchema(partial=True))
        @blp.response(200, PetSchema)
        def patch(self, changes: dict[str, Any], pet_id: int) -> dict[str, Any]:
            seen.append((changes, pet_id))
            return {"id": pet_id, "name": "Rex", **changes}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        api.register_blueprint(blp)
    seen.extend(str(w.message) for w in caught)
    return app, api, seen


def test_smorest_answers_422_with_errors_by_location() -> None:
    app, _, seen = _smorest_app()
    seen.clear()
    client = app.test_client()
    response = client.post("/pets/", json={"age": "old", "colour": "brown"})
    assert response.status_code == 422
    assert response.json == {
        "code": 422,
        "status": "Unprocessable Entity",
        "errors": {
            "json": {
                "name": ["Missing data for required field."],
                "age": ["Not a valid integer."],
                "colour": ["Unknown field."],
            }
        },
    }
    query = client.get("/pets/?limit=many")
    assert query.status_code == 422 and query.json["errors"] == {"query": {"limit": ["Not a valid integer."]}}
    # Malformed JSON is a 400 in the same envelope; the view never ran.
    bad = client.post("/pets/", data="{oops", content_type="application/json")
    assert bad.status_code == 400 and bad.json["errors"] == {"json": ["Invalid JSON body."]}
    assert seen == []
    # Valid input reaches the view as a loaded dict, passed before the path arguments.
    assert client.post("/pets/", json={"name": "Rex"}).status_code == 201
    assert client.patch("/pets/4", json={"age": 5}).json == {"id": 4, "name": "Rex", "age": 5}
    assert seen == [{"name": "Rex"}, ({"age": 5}, 4)]


def test_smorest_response_schema_filters_and_coerces_but_does_not_validate() -> None:
    app, _, _ = _smorest_app()
    response = app.test_client().get("/pets/")
    assert response.status_code == 200
    # owner_email is dropped (not in the schema); the second pet lacks the required name and still goes out.
    assert response.json == [{"id": 1, "name": "Rex", "age": 3}, {"id": 2, "age": 7}]


def test_smorest_builds_the_spec_from_the_schemas_and_serves_it_only_with_a_url_prefix() -> None:
    app, api, _ = _smorest_app()
    assert app.test_client().get("/openapi.json").status_code == 404
    spec = api.spec.to_dict()
    post = spec["paths"]["/pets/"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Pet"}
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Pet"}
    assert post["responses"]["422"] == {"$ref": "#/components/responses/UNPROCESSABLE_ENTITY"}
    pet = spec["components"]["schemas"]["Pet"]
    assert pet["required"] == ["name"] and pet["properties"]["id"]["readOnly"] is True
    assert pet["additionalProperties"] is False
    get = spec["paths"]["/pets/"]["get"]
    assert get["parameters"][0]["name"] == "limit" and get["parameters"][0]["in"] == "query"

    served, _, _ = _smorest_app(OPENAPI_URL_PREFIX="/")
    response = served.test_client().get("/openapi.json")
    assert response.status_code == 200 and response.json["info"] == {"title": "Pets", "version": "v1"}


def test_apispec_renames_a_second_variant_of_the_same_schema() -> None:
    _, api, seen = _smorest_app()
    names = list(api.spec.to_dict()["components"]["schemas"])
    # PetSchema and PetSchema(partial=True) both resolve to "Pet": the second one becomes "Pet1", with a warning.
    assert "Pet" in names and "Pet1" in names
    assert any("Multiple schemas resolved to the name Pet" in str(m) for m in seen)


def _variant_resolver(schema: Any) -> str:
    from apispec.ext.marshmallow.common import resolve_schema_cls

    resolved = resolve_schema_cls(schema)
    cls = resolved[0] if isinstance(resolved, list) else resolved
    name = cls.__name__.removesuffix("Schema")
    return f"{name}Patch" if getattr(schema, "partial", False) else name


def test_apispec_with_a_resolver_names_variants_explicitly() -> None:
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    spec = APISpec("Pets", "v1", "3.0.3", plugins=[MarshmallowPlugin(schema_name_resolver=_variant_resolver)])
    spec.components.schema("Pet", schema=PetSchema)
    spec.path(
        "/pets/{id}",
        operations={"patch": {"requestBody": {"content": {"application/json": {"schema": PetSchema(partial=True)}}}}},
    )
    assert sorted(spec.to_dict()["components"]["schemas"]) == ["Pet", "PetPatch"]
    # The same resolver reaches flask-smorest through spec_kwargs: no renaming, no warning.
    plugin = MarshmallowPlugin(schema_name_resolver=_variant_resolver)
    _, api, seen = _smorest_app(spec_kwargs={"marshmallow_plugin": plugin})
    assert {"Pet", "PetPatch"} <= set(api.spec.to_dict()["components"]["schemas"])
    assert "Pet1" not in api.spec.to_dict()["components"]["schemas"]
    assert not any("Multiple schemas" in str(m) for m in seen)
