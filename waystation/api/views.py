"""The API's two pages for people and tools alike: the OpenAPI description and a reference
page made from it on the server (no script, nothing from elsewhere). Both answer a member
signed in with the browser and a caller with a token; anyone else is sent to sign in (the
page) or refused (the description)."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja.errors import Throttled

from waystation.accounts.policy import Perm, can

from .auth import authenticate_request, mark_api_view
from .v1 import ERROR_ANSWERS, api

_METHODS = ("get", "post", "put", "patch", "delete")


def _caller(request):
    """The member behind the token, or the one signed in with the browser; None otherwise."""
    authenticate_request(request)
    return request.user if can(request.user, Perm.SIGNED_IN) else None


def _throttled(refused):
    response = JsonResponse({"detail": _("Too many calls with this token: wait a minute.")},
                            status=429)
    response["Retry-After"] = str(refused.wait or 60)
    return response


def openapi_json(request):
    try:
        caller = _caller(request)
    except Throttled as refused:
        return _throttled(refused)
    if caller is None:
        return JsonResponse({"detail": _("Sign in or send a token.")}, status=401)
    return JsonResponse(api.get_openapi_schema(), json_dumps_params={"ensure_ascii": False})


def _ref_name(schema: dict) -> str:
    ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref", "")
    name = ref.rsplit("/", 1)[-1]
    return f"{name}[]" if schema.get("type") == "array" and name else name


def _operations(schema: dict) -> list[dict]:
    rows = []
    for route, methods in schema["paths"].items():
        for method in _METHODS:
            operation = methods.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {})
            body_schema = next(iter(body.values()), {}).get("schema", {}) if body else {}
            responses = [
                {
                    "code": code,
                    "description": answer.get("description", ""),
                    "schema": _ref_name(
                        answer.get("content", {}).get("application/json", {}).get("schema", {})
                    ),
                }
                for code, answer in operation.get("responses", {}).items()
                if code.startswith("2")
            ]
            rows.append(
                {
                    "anchor": operation.get("operationId", ""),
                    "method": method.upper(),
                    "path": route,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "tags": operation.get("tags", []),
                    "scope": operation.get("x-waystation-scope", ""),
                    "parameters": operation.get("parameters", []),
                    "body": _ref_name(body_schema),
                    "responses": responses,
                }
            )
    return rows


def _schemas(schema: dict) -> list[dict]:
    out = []
    for name, model in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(model.get("required", []))
        fields = []
        for field, spec in model.get("properties", {}).items():
            kind = spec.get("type") or _ref_name(spec) or " | ".join(
                sub.get("type") or _ref_name(sub) for sub in spec.get("anyOf", [])
            )
            fields.append(
                {"name": field, "type": kind, "required": field in required,
                 "description": spec.get("description", "")}
            )
        out.append({"name": name, "fields": fields, "enum": model.get("enum", [])})
    return out


def reference(request):
    try:
        caller = _caller(request)
    except Throttled as refused:
        return _throttled(refused)
    if caller is None:
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
    schema = api.get_openapi_schema()
    return render(
        request,
        "api/reference.html",
        {
            "title": _("API reference"),
            "info": schema["info"],
            "operations": _operations(schema),
            "schemas": _schemas(schema),
            "errors": sorted(ERROR_ANSWERS.items()),
        },
    )


@csrf_exempt  # a POST to no route is a 404 like any other, not the forms' CSRF page
def not_found(request):
    return JsonResponse({"detail": _("Not found.")}, status=404)


mark_api_view(openapi_json)
mark_api_view(reference)
mark_api_view(not_found)
