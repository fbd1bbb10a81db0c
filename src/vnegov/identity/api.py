"""The provider's HTTP endpoints that are not pages: discovery, JWKS, token, userinfo, and the
administrators' client registration API (thin: parse, call the service, answer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from vnegov.identity import keys, officials, oidc
from vnegov.identity.oidc import OidcError, Provider
from vnegov.kernel.http import CurrentPrincipal, ReadSession, WriteSession, get_db

router = APIRouter(tags=["identity"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def provider_of(request: Request) -> Provider:
    provider: Provider = request.app.state.identity_provider
    return provider


@router.get("/.well-known/openid-configuration", summary="OpenID Provider metadata (discovery)")
def discovery(request: Request) -> dict[str, Any]:
    issuer = provider_of(request).issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oidc/authorize",
        "token_endpoint": f"{issuer}/oidc/token",
        "userinfo_endpoint": f"{issuer}/oidc/userinfo",
        "jwks_uri": f"{issuer}/oidc/jwks",
        "end_session_endpoint": f"{issuer}/oidc/logout",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [keys.ALGORITHM],
        "token_endpoint_auth_methods_supported": list(oidc.AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "EdDSA"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": list(oidc.SCOPES),
        "claims_supported": [
            "sub",
            "name",
            "birthdate",
            "SoDinhDanh",
            "account_type",
            "agency_code",
            "roles",
            "enterprise_code",
            "acr",
            "amr",
            "auth_time",
            "sid",
        ],
        "acr_values_supported": ["1", "2"],
        "authorization_response_iss_parameter_supported": True,
        "ui_locales_supported": ["vi", "en"],
    }


@router.get("/oidc/jwks", summary="The provider's public signing keys (JWKS)")
def jwks(request: Request) -> JSONResponse:
    with get_db(request).read() as session:
        published = keys.jwks(session)
    if not published["keys"]:  # before the first sign-in: make the key now, so the set is never empty
        with get_db(request).transaction() as session:
            keys.ensure_key(session, provider_of(request).passphrase)
            published = keys.jwks(session)
    return JSONResponse(published, headers={"Cache-Control": "public, max-age=300"})


def _error(exc: OidcError) -> JSONResponse:
    headers = dict(NO_STORE)
    if exc.status == 401:
        scheme = "Bearer" if exc.error == "invalid_token" else "Basic"
        headers["WWW-Authenticate"] = (
            f'{scheme} error="{exc.error}"' if scheme == "Bearer" else 'Basic realm="vnegov"'
        )
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description}, exc.status, headers=headers
    )


@router.post("/oidc/token", summary="Token endpoint: authorization_code (with PKCE) and refresh_token grants")
async def token(request: Request) -> JSONResponse:
    form = {k: str(v) for k, v in (await request.form()).items()}
    provider = provider_of(request)
    db = get_db(request)
    failure: OidcError | None = None
    answer: dict[str, Any] = {}
    # One transaction: a code or refresh token is spent only with the tokens it gives, and what a
    # refusal writes (a replayed code's revocation, a used assertion's jti) commits with the refusal.
    with db.transaction() as session:
        try:
            client = oidc.authenticate_client(session, provider, request.headers.get("authorization"), form)
            grant = form.get("grant_type")
            if grant == "authorization_code":
                answer = oidc.exchange_code(session, provider, client, form)
            elif grant == "refresh_token":
                answer = oidc.refresh(session, provider, client, form)
            else:
                raise OidcError("unsupported_grant_type", "authorization_code or refresh_token")
        except OidcError as exc:
            failure = exc
    if failure is not None:
        return _error(failure)
    return JSONResponse(answer, headers=NO_STORE)


def _userinfo(request: Request, session: Session) -> JSONResponse:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value:
        return _error(OidcError("invalid_token", "a Bearer access token is required", 401))
    try:
        return JSONResponse(oidc.userinfo(session, provider_of(request), value.strip()), headers=NO_STORE)
    except OidcError as exc:
        return _error(exc)


@router.get("/oidc/userinfo", summary="UserInfo: the claims the token's scopes open")
def userinfo(request: Request, session: ReadSession) -> JSONResponse:
    return _userinfo(request, session)


@router.post("/oidc/userinfo", summary="UserInfo (POST, as OpenID Connect Core §5.3.1 allows)")
def userinfo_post(request: Request, session: ReadSession) -> JSONResponse:
    return _userinfo(request, session)


class ClientCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    redirect_uris: list[str] = Field(min_length=1, description="Exact-match redirect URIs")
    post_logout_redirect_uris: list[str] = Field(default_factory=list)
    auth_method: str = Field("client_secret_basic", description="client_secret_basic or private_key_jwt")
    jwks: dict[str, Any] | None = Field(None, description="The client's public keys (private_key_jwt)")
    scopes: list[str] | None = None


class ClientCreated(BaseModel):
    client_id: str
    client_secret: str | None = Field(None, description="Shown once (client_secret_basic)")


@router.post(
    "/api/v1/identity/clients",
    response_model=ClientCreated,
    status_code=201,
    summary="Register an OpenID Connect client (platform administrators)",
)
def register_client(client_in: ClientCreate, session: WriteSession, actor: CurrentPrincipal) -> Any:
    made = oidc.register_client(
        session,
        actor=actor,
        name=client_in.name,
        redirect_uris=client_in.redirect_uris,
        auth_method=client_in.auth_method,
        jwks=client_in.jwks,
        post_logout_redirect_uris=client_in.post_logout_redirect_uris,
        scopes=client_in.scopes,
    )
    return ClientCreated(client_id=made.client_id, client_secret=made.client_secret)


# ------------------------------------------------------------- officials and their roles (cán bộ)


class OfficialCreate(BaseModel):
    username: str = Field(min_length=3, max_length=64, description="Lowercase letters, digits, '.', '_', '-'")
    full_name: str = Field(min_length=1, max_length=200)
    initial_password: str = Field(
        min_length=1,
        max_length=200,
        description="Given by the administrator to the official (10+ characters)",
    )
    roles: list[str] = Field(default_factory=list, description="Roles in the agency (accounts.ROLES)")


class OfficialRead(BaseModel):
    subject: str
    username: str
    full_name: str
    agency_code: str
    roles: list[str]
    locked: bool
    second_factor: bool


class RolesSet(BaseModel):
    roles: list[str] = Field(description="All the roles the official should hold in the agency")


def _official_read(official: officials.Official) -> OfficialRead:
    return OfficialRead(
        subject=official.subject,
        username=official.username,
        full_name=official.full_name,
        agency_code=official.agency_code,
        roles=list(official.roles),
        locked=official.locked,
        second_factor=official.second_factor,
    )


OFFICIALS = "/api/v1/identity/agencies/{agency_code}/officials"


@router.post(
    OFFICIALS,
    response_model=OfficialRead,
    status_code=201,
    summary="Create an official of the agency (its administrators, platform administrators)",
)
def create_official(
    agency_code: str, official_in: OfficialCreate, session: WriteSession, actor: CurrentPrincipal
) -> Any:
    account = officials.create_official(
        session,
        actor=actor,
        agency_code=agency_code,
        username=official_in.username,
        full_name=official_in.full_name,
        initial_password=official_in.initial_password,
        roles=official_in.roles,
    )
    return _official_read(officials.get_official(session, actor=actor, subject=account.subject))


@router.get(OFFICIALS, response_model=list[OfficialRead], summary="The agency's officials and their roles")
def list_officials(agency_code: str, session: ReadSession, actor: CurrentPrincipal) -> Any:
    return [
        _official_read(o) for o in officials.list_officials(session, actor=actor, agency_code=agency_code)
    ]


@router.put(
    OFFICIALS + "/{subject}/roles",
    response_model=OfficialRead,
    summary="Replace an official's roles in the agency (each change a security event)",
)
def set_official_roles(
    agency_code: str, subject: str, roles_in: RolesSet, session: WriteSession, actor: CurrentPrincipal
) -> Any:
    official = officials.set_roles(
        session, actor=actor, subject=subject, roles=roles_in.roles, agency_code=agency_code
    )
    return _official_read(official)


@router.post(
    OFFICIALS + "/{subject}/unlock",
    response_model=OfficialRead,
    summary="Clear the lock wrong passwords put on an official's account",
)
def unlock_official(agency_code: str, subject: str, session: WriteSession, actor: CurrentPrincipal) -> Any:
    return _official_read(officials.unlock(session, actor=actor, subject=subject, agency_code=agency_code))


class ClientRead(BaseModel):
    client_id: str
    name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    auth_method: str
    scopes: list[str]
    created_at: datetime
    revoked: bool


@router.get(
    "/api/v1/identity/clients",
    response_model=list[ClientRead],
    summary="The registered OpenID Connect clients, without secrets (platform administrators)",
)
def list_clients(session: ReadSession, actor: CurrentPrincipal) -> Any:
    return [
        ClientRead(
            client_id=c.client_id,
            name=c.name,
            redirect_uris=list(c.redirect_uris),
            post_logout_redirect_uris=list(c.post_logout_redirect_uris),
            auth_method=c.auth_method,
            scopes=list(c.scopes),
            created_at=c.created_at,
            revoked=c.revoked,
        )
        for c in officials.list_clients(session, actor=actor)
    ]
