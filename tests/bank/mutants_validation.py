"""Mutants for the request-validation checks (tests/bank/test_validation.py): marshmallow, pydantic, Flask's
JSON handling, flask-smorest and apispec altered to behave as a wrong option says."""

from __future__ import annotations

from functools import wraps
from typing import Any

import pytest

from tests.bank.mutants import _with_kwargs, mutant

VALIDATION = "test_validation.py"


@mutant("marshmallow-unknown-excluded", "marshmallow drops unknown fields by default", VALIDATION)
def _unknown_excluded(mp: pytest.MonkeyPatch) -> None:
    import marshmallow

    _with_kwargs(mp, marshmallow.Schema, "__init__", force=False, unknown=marshmallow.EXCLUDE)


@mutant("marshmallow-int-strict", "fields.Int() refuses 3.7 and '3' by default", VALIDATION)
def _int_strict(mp: pytest.MonkeyPatch) -> None:
    from marshmallow import fields

    _with_kwargs(mp, fields.Integer, "__init__", force=False, strict=True)


@mutant("marshmallow-accepts-missing", "marshmallow 4 still accepts missing= and default=", VALIDATION)
def _accepts_missing(mp: pytest.MonkeyPatch) -> None:
    from marshmallow import fields

    original = fields.Field.__init__

    @wraps(original)
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        if "missing" in kwargs:
            kwargs["load_default"] = kwargs.pop("missing")
        if "default" in kwargs:
            kwargs["dump_default"] = kwargs.pop("default")
        original(self, *args, **kwargs)

    mp.setattr(fields.Field, "__init__", init)


@mutant("marshmallow-dump-validates", "Schema.dump raises ValidationError when a required field is missing", VALIDATION)
def _dump_validates(mp: pytest.MonkeyPatch) -> None:
    import marshmallow

    original = marshmallow.Schema.dump

    def dump(self: Any, obj: Any, *, many: bool | None = None) -> Any:
        result = original(self, obj, many=many)
        items = result if isinstance(result, list) else [result]
        for item in items:
            for name, field in self.dump_fields.items():
                if field.required and name not in item:
                    raise marshmallow.ValidationError({name: ["Missing data for required field."]})
        return result

    mp.setattr(marshmallow.Schema, "dump", dump)


@mutant("pydantic-coerces-int-to-str", "pydantic 2 turns 42 into '42' for a str field", VALIDATION)
def _int_to_str(mp: pytest.MonkeyPatch) -> None:
    from pydantic import BaseModel

    original = BaseModel.model_validate.__func__  # type: ignore[attr-defined]

    def model_validate(cls: type[BaseModel], obj: Any, **kwargs: Any) -> Any:
        if isinstance(obj, dict):
            fields = cls.model_fields
            obj = {
                k: str(v) if k in fields and fields[k].annotation is str and isinstance(v, int) else v
                for k, v in obj.items()
            }
        return original(cls, obj, **kwargs)

    mp.setattr(BaseModel, "model_validate", classmethod(model_validate))


@mutant(
    "flask-value-error-is-400", "Flask answers a ValueError such as pydantic's ValidationError with 400", VALIDATION
)
def _value_error_400(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask

    original = Flask.handle_user_exception

    def handle(self: Flask, e: Exception) -> Any:
        try:
            return original(self, e)
        except ValueError:
            return self.make_response(("bad request", 400))

    mp.setattr(Flask, "handle_user_exception", handle)


@mutant("flask-json-stringifies-anything", "Flask's JSON provider serializes any object with str()", VALIDATION)
def _json_str_fallback(mp: pytest.MonkeyPatch) -> None:
    from flask.json.provider import DefaultJSONProvider

    original = DefaultJSONProvider.default

    def default(o: Any) -> Any:
        try:
            return original(o)
        except TypeError:
            return str(o)

    mp.setattr(DefaultJSONProvider, "default", staticmethod(default))


@mutant("get-json-400-for-content-type", "get_json() answers 400 when the body is not sent as JSON", VALIDATION)
def _get_json_400(mp: pytest.MonkeyPatch) -> None:
    from flask import Request
    from werkzeug.exceptions import BadRequest

    def failed(self: Request, e: Exception | None) -> Any:
        raise BadRequest("Failed to decode JSON object")

    mp.setattr(Request, "on_json_loading_failed", failed)


@mutant("smorest-validation-400", "flask-smorest answers invalid arguments with 400", VALIDATION)
def _smorest_400(mp: pytest.MonkeyPatch) -> None:
    from webargs.flaskparser import FlaskParser

    mp.setattr(FlaskParser, "DEFAULT_VALIDATION_STATUS", 400)


@mutant("smorest-serves-spec-by-default", "flask-smorest serves /openapi.json without OPENAPI_URL_PREFIX", VALIDATION)
def _spec_served(mp: pytest.MonkeyPatch) -> None:
    from flask import Flask
    from werkzeug.datastructures import ImmutableDict

    mp.setattr(Flask, "default_config", ImmutableDict({**Flask.default_config, "OPENAPI_URL_PREFIX": "/"}))


@mutant("apispec-keeps-schema-suffix", "apispec names components after the full class name, PetSchema", VALIDATION)
def _keeps_suffix(mp: pytest.MonkeyPatch) -> None:
    import apispec.ext.marshmallow
    from apispec.ext.marshmallow.common import resolve_schema_cls

    def resolver(schema: Any) -> str:
        resolved = resolve_schema_cls(schema)
        cls = resolved[0] if isinstance(resolved, list) else resolved
        return str(cls.__name__)

    mp.setattr(apispec.ext.marshmallow, "resolver", resolver)


@mutant(
    "apispec-ignores-schema-name-resolver",
    "MarshmallowPlugin names components its own way whatever resolver you pass",
    VALIDATION,
)
def _ignores_resolver(mp: pytest.MonkeyPatch) -> None:
    import apispec.ext.marshmallow
    from apispec.ext.marshmallow import MarshmallowPlugin

    original = MarshmallowPlugin.__init__

    def init(self: MarshmallowPlugin, schema_name_resolver: Any = None) -> None:
        original(self, apispec.ext.marshmallow.resolver)

    mp.setattr(MarshmallowPlugin, "__init__", init)
