"""The API, version 1: django-ninja, its OpenAPI 3.1 description made from the code.

Routers are added at the bottom with ``api.add_router``; each operation is ``@scoped(Perm.X)``
and calls the same services and selectors as the pages. Errors are JSON ``{"detail": ...}``:
a missing object and one the member may not see are the same 404; a refusal of a service is
400 with its message; 401 without a valid token, 403 outside the token's scope or the role,
429 over the token's rate limit, 503 while the instance is sealed (``middleware``).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import Throttled

from waystation.accounts.policy import Perm
from waystation.core.refusals import Forbidden, NotVisible, Refusal

from . import tus
from .audit import router as audit_router
from .auth import granted, scoped, token_auth
from .cases import router as cases_router
from .evidence import router as evidence_router
from .intake import router as intake_router
from .ledger import router as ledger_router
from .outreach import router as outreach_router

# Every operation may answer these, whatever it does; the description says so once, here.
ERROR_ANSWERS = {
    "400": "The request was refused: its message says why.",
    "401": "No valid token: missing, unknown, expired or revoked.",
    "403": "The token's scopes or the member's role do not allow this.",
    "404": "Not found, or not visible to this member: the same answer.",
    "422": "The parameters or the body do not match the description.",
    "429": "The token's rate limit is reached: wait Retry-After seconds.",
    "503": "The instance is sealed: it answers again once unsealed.",
}


class Error(Schema):
    detail: str


class InvalidInput(Schema):
    detail: list[dict]


class WaystationAPI(NinjaAPI):
    def operation_scopes(self) -> dict[str, str | None]:
        """operationId -> the permission its token must hold (None: an unguarded one)."""
        scopes = {}
        for bound in self._get_bound_routers():
            for path_view in bound.path_operations.values():
                for operation in path_view.operations:
                    op_id = operation.operation_id or self.get_openapi_operation_id(operation)
                    scope = getattr(operation.view_func, "waystation_scope", None)
                    scopes[op_id] = scope.value if scope is not None else None
        return scopes

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = Error.json_schema()
        components["InvalidInput"] = InvalidInput.json_schema()
        schema["paths"].update(tus.openapi_paths())  # plain views: hand-written path items
        scopes = self.operation_scopes()
        for methods in schema["paths"].values():
            for operation in methods.values():
                scope = scopes.get(operation.get("operationId"))
                if scope:
                    operation["x-waystation-scope"] = scope
                responses = {str(c): a for c, a in operation.get("responses", {}).items()}
                operation["responses"] = responses
                for code, text in ERROR_ANSWERS.items():
                    name = "InvalidInput" if code == "422" else "Error"
                    responses.setdefault(
                        code,
                        {
                            "description": text,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": f"#/components/schemas/{name}"}
                                }
                            },
                        },
                    )
        return schema


api = WaystationAPI(
    title="Waystation",
    version="1",
    description=(
        "The HTTP API of Waystation: the same services, selectors and permission table as "
        "the pages, reached with personal access tokens (Authorization: Bearer …)."
    ),
    urls_namespace="api-v1",
    auth=token_auth,
    # Served by our own views (urls.py): the description for members and tokens only, and a
    # reference page made on the server; ninja's page loads Swagger UI from a CDN.
    openapi_url=None,
    docs_url=None,
)


def _answer(request, status: int, detail: str):
    return api.create_response(request, {"detail": detail}, status=status)


def _not_found(request, exc):
    return _answer(request, 404, _("Not found."))


def _forbidden(request, exc):
    return _answer(request, 403, _("Your role does not allow this."))


def _refused(request, exc):
    return _answer(request, 400, str(exc))


def _invalid(request, exc):
    return _answer(request, 400, " ".join(str(m) for m in exc.messages))


def _throttled(request, exc):
    response = _answer(request, 429, _("Too many calls with this token: wait a minute."))
    response["Retry-After"] = str(exc.wait or 60)
    return response


api.add_exception_handler(Http404, _not_found)
api.add_exception_handler(NotVisible, _not_found)
api.add_exception_handler(PermissionDenied, _forbidden)
api.add_exception_handler(Forbidden, _forbidden)
api.add_exception_handler(Refusal, _refused)
api.add_exception_handler(ValidationError, _invalid)
api.add_exception_handler(Throttled, _throttled)


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[str]
    token: str
    scopes: list[str]
    expires_at: str


@api.get("/me/", response=MeOut, tags=["token"], summary="The token's member and scopes")
@scoped(Perm.SIGNED_IN)
def me(request):
    token = request.auth
    return {
        "username": request.user.username,
        "display_name": request.user.display_name,
        "roles": sorted(request.user.roles),
        "token": token.name,
        "scopes": sorted(p.value for p in granted(request)),
        "expires_at": token.expires_at.isoformat(),
    }


api.add_router("/evidence/", evidence_router)

api.add_router("/cases/", cases_router)
api.add_router("/outreach/", outreach_router)
api.add_router("/requests/", intake_router)
api.add_router("/ledger/", ledger_router)
api.add_router("/audit/", audit_router)
