"""The OpenID Connect provider's protocol (giao thức OpenID Connect): clients, authorization requests,
codes, tokens, userinfo, logout. The only code that touches clients, codes and refresh tokens.

Authorization code flow with PKCE (S256, required for every client), `client_secret_basic` and
`private_key_jwt` client authentication (RFC 7523, `aud` the token endpoint or the issuer, `jti` used
once), rotating refresh tokens with reuse detection, ID tokens and JWT access tokens (RFC 9068) signed
ES256. Errors carry the names OpenID Connect and OAuth 2.0 give them (`OidcError.error`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import unquote_plus, urlsplit

import sqlalchemy as sa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from vnegov.identity import accounts, keys
from vnegov.identity.models import (
    Account,
    AuthorizationCode,
    ConsentGrant,
    LoginSession,
    OidcClient,
    RefreshToken,
    UsedAssertion,
)
from vnegov.kernel import audit
from vnegov.kernel.clock import now
from vnegov.kernel.context import Principal
from vnegov.kernel.errors import InvalidInput, NotFound, PermissionDenied
from vnegov.kernel.settings import IdentitySettings

SCOPES = {
    "openid": "Sign-in",
    "profile": "Your name",
    "personal_id": "Your personal ID number (SoDinhDanh)",
    "agency": "Your agency and roles (officials)",
    "enterprise": "The enterprise you represent",
    "offline_access": "Staying signed in to the application (refresh tokens)",
}
AUTH_METHODS = ("client_secret_basic", "private_key_jwt")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class OidcError(Exception):
    """An error the specification names (`error`), with a description; `status` for the token endpoint."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass(frozen=True)
class Provider:
    """Who the provider is and how it signs: the issuer URL, settings and key passphrase."""

    issuer: str
    config: IdentitySettings
    passphrase: str

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/oidc/token"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# ------------------------------------------------------------------------------------ clients


@dataclass(frozen=True)
class ClientRegistered:
    client_id: str
    client_secret: str | None  # shown once (client_secret_basic)


def _check_uri(uri: str, field: str, *, own: bool = False) -> str:
    """An https address (http for localhost, or for the platform's own pages at its configured base)."""
    parts = urlsplit(uri)
    local = own or parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme not in ("https", "http") or not parts.hostname or (parts.scheme == "http" and not local):
        raise InvalidInput(f"{uri!r}: an https:// address (http only for localhost)", field=field)
    if parts.fragment:
        raise InvalidInput(f"{uri!r}: a redirect URI has no fragment", field=field)
    return uri


def register_client(
    session: Session,
    *,
    actor: Principal,
    name: str,
    redirect_uris: list[str],
    auth_method: str = "client_secret_basic",
    jwks: dict[str, Any] | None = None,
    post_logout_redirect_uris: list[str] | None = None,
    scopes: list[str] | None = None,
    consent_given: bool = False,
) -> ClientRegistered:
    """An administrator registers a relying party (platform administrators only). `consent_given`: the
    platform's own pages, for which nobody is asked to consent."""
    if not (actor.has_role("platform-admin") or actor.has_role("system")):
        raise PermissionDenied("only platform administrators register OpenID Connect clients")
    if not redirect_uris:
        raise InvalidInput("at least one redirect URI", field="redirect_uris")
    uris = [_check_uri(u, "redirect_uris", own=consent_given) for u in redirect_uris]
    logout_uris = [_check_uri(u, "post_logout_redirect_uris") for u in post_logout_redirect_uris or []]
    if auth_method not in AUTH_METHODS:
        raise InvalidInput(f"auth_method is one of {', '.join(AUTH_METHODS)}", field="auth_method")
    if auth_method == "private_key_jwt":
        try:
            _key_set(jwks or {})
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidInput(
                "private_key_jwt needs the client's public keys as a JWKS", field="jwks"
            ) from None
    allowed = scopes or ["openid", "profile", "personal_id", "offline_access"]
    unknown = [s for s in allowed if s not in SCOPES]
    if unknown:
        raise InvalidInput(f"unknown scope(s): {', '.join(unknown)}", field="scopes")
    client_id = secrets.token_urlsafe(16)
    secret = secrets.token_urlsafe(32) if auth_method == "client_secret_basic" else None
    session.add(
        OidcClient(
            client_id=client_id,
            name=name,
            redirect_uris=uris,
            post_logout_redirect_uris=logout_uris,
            auth_method=auth_method,
            secret_sha256=_sha256(secret) if secret else None,
            jwks=jwks if auth_method == "private_key_jwt" else None,
            scopes=allowed,
            first_party=consent_given,
            created_by=actor.subject,
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="identity.client.register",
        object_type="identity_client",
        object_id=client_id,
        after={"name": name, "redirect_uris": uris, "auth_method": auth_method, "scopes": allowed},
    )
    return ClientRegistered(client_id=client_id, client_secret=secret)


def client(session: Session, client_id: str) -> OidcClient | None:
    row = session.scalar(sa.select(OidcClient).where(OidcClient.client_id == client_id))
    return row if row is not None and row.revoked_at is None else None


def list_clients(session: Session) -> list[OidcClient]:
    return list(session.scalars(sa.select(OidcClient).order_by(OidcClient.name)))


# ------------------------------------------------------------------------- authorization request


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request."""

    client_id: str
    client_name: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str
    acr_required: str
    prompt: tuple[str, ...]


class RedirectUriError(OidcError):
    """The client or its redirect URI is wrong: the error is shown to the person, never redirected
    (OAuth 2.0 §4.1.2.1: an unchecked URI must not receive anything)."""


def check_request(session: Session, params: dict[str, str]) -> AuthorizationRequest:
    """The request's parameters checked in the specification's order. RedirectUriError before the
    redirect URI is known to be the client's; OidcError (to be sent to it) after."""
    row = client(session, params.get("client_id", ""))
    if row is None:
        raise RedirectUriError("invalid_request", "unknown client_id")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in row.redirect_uris:
        raise RedirectUriError("invalid_request", "redirect_uri is not one registered for this client")
    if params.get("response_type") != "code":
        raise OidcError("unsupported_response_type", "only the authorization code flow (response_type=code)")
    scopes = tuple(dict.fromkeys(params.get("scope", "").split()))
    if "openid" not in scopes:
        raise OidcError("invalid_scope", "scope must include openid")
    refused = [s for s in scopes if s not in row.scopes]
    if refused:
        raise OidcError("invalid_scope", f"not allowed for this client: {' '.join(refused)}")
    challenge = params.get("code_challenge", "")
    if params.get("code_challenge_method") != "S256" or not (43 <= len(challenge) <= 128):
        raise OidcError("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256")
    acr_values = params.get("acr_values", "").split()
    acr = accounts.LOA_SECOND_FACTOR if accounts.LOA_SECOND_FACTOR in acr_values else accounts.LOA_PASSWORD
    return AuthorizationRequest(
        client_id=row.client_id,
        client_name=row.name,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=params.get("state"),
        nonce=params.get("nonce"),
        code_challenge=challenge,
        acr_required=acr,
        prompt=tuple(params.get("prompt", "").split()),
    )


def needs_consent(session: Session, account_id: int, request: AuthorizationRequest) -> bool:
    row = client(session, request.client_id)
    if row is not None and row.first_party:
        return False
    grant = session.scalar(
        sa.select(ConsentGrant).where(
            ConsentGrant.account_id == account_id, ConsentGrant.client_id == request.client_id
        )
    )
    return grant is None or not set(request.scopes) <= set(grant.scopes) or "consent" in request.prompt


def record_consent(session: Session, account: Account, request: AuthorizationRequest) -> None:
    grant = session.scalar(
        sa.select(ConsentGrant).where(
            ConsentGrant.account_id == account.id, ConsentGrant.client_id == request.client_id
        )
    )
    scopes = sorted(set(request.scopes) | set(grant.scopes if grant else []))
    if grant is None:
        session.add(ConsentGrant(account_id=account.id, client_id=request.client_id, scopes=scopes))
    else:
        grant.scopes, grant.granted_at = scopes, now()
    audit.record(
        session,
        actor=Principal(subject=f"identity:{account.subject}", agency_code=account.agency_code or ""),
        action="identity.consent.give",
        object_type="identity_client",
        object_id=request.client_id,
        after={"scopes": scopes},
    )


def issue_code(
    session: Session, provider: Provider, request: AuthorizationRequest, login: LoginSession
) -> str:
    code = secrets.token_urlsafe(32)
    session.add(
        AuthorizationCode(
            code_sha256=_sha256(code),
            client_id=request.client_id,
            account_id=login.account_id,
            session_sid=login.sid,
            redirect_uri=request.redirect_uri,
            scope=" ".join(request.scopes),
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            acr=login.acr,
            amr=list(login.amr),
            auth_time=login.auth_time,
            expires_at=now() + timedelta(seconds=provider.config.code_seconds),
        )
    )
    return code


# -------------------------------------------------------------------------- client authentication


def authenticate_client(
    session: Session, provider: Provider, authorization: str | None, form: dict[str, str]
) -> OidcClient:
    """The client, from HTTP Basic (client_secret_basic) or a signed assertion (private_key_jwt)."""
    if form.get("client_assertion_type") == ASSERTION_TYPE:
        return _by_assertion(session, provider, form.get("client_assertion", ""), form.get("client_id"))
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        raise OidcError("invalid_client", "authenticate with HTTP Basic or a client assertion", 401)
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise OidcError("invalid_client", "malformed Basic credentials", 401) from None
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)  # RFC 6749 §2.3.1
    row = client(session, client_id)
    expected = row.secret_sha256 if row is not None and row.secret_sha256 else _sha256("")
    if (
        row is None
        or row.auth_method != "client_secret_basic"
        or not hmac.compare_digest(expected, _sha256(secret))
    ):
        raise OidcError("invalid_client", "unknown client or wrong secret", 401)
    return row


def _by_assertion(session: Session, provider: Provider, assertion: str, client_id: str | None) -> OidcClient:
    # The issuer names the client whose keys verify the assertion: read it first, trust it only after.
    try:
        payload = _claims_unverified(assertion)
    except ValueError:
        raise OidcError("invalid_client", "the client assertion is not a JWT", 401) from None
    issuer = str(payload.get("iss", ""))
    row = client(session, issuer)
    if (
        row is None
        or row.auth_method != "private_key_jwt"
        or row.jwks is None
        or (client_id and client_id != issuer)
    ):
        raise OidcError("invalid_client", "unknown client, or it does not use private_key_jwt", 401)
    try:
        token = jwt.decode(assertion, _key_set(row.jwks), algorithms=["ES256", "RS256", "EdDSA", "Ed25519"])
    except (JoseError, ValueError):
        raise OidcError("invalid_client", "the client assertion's signature does not verify", 401) from None
    claims = token.claims
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    moment = time.time()
    if claims.get("sub") != issuer or not ({provider.token_endpoint, provider.issuer} & set(audiences)):
        raise OidcError("invalid_client", "the assertion's sub or aud is wrong", 401)
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp < moment or exp > moment + 600:
        raise OidcError("invalid_client", "the assertion is expired or lives too long (max 10 minutes)", 401)
    jti = str(claims.get("jti") or "")
    if not jti:
        raise OidcError("invalid_client", "the assertion has no jti", 401)
    used = session.scalar(
        sa.select(UsedAssertion.id).where(UsedAssertion.client_id == issuer, UsedAssertion.jti == jti)
    )
    if used is not None:
        raise OidcError("invalid_client", "this assertion was already used", 401)
    session.add(UsedAssertion(client_id=issuer, jti=jti, expires_at=now() + timedelta(seconds=exp - moment)))
    return row


def _key_set(data: dict[str, Any] | None) -> KeySet:
    return KeySet.import_key_set(cast(Any, data or {}))


def _claims_unverified(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWS compact serialisation")
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    data = json.loads(base64.urlsafe_b64decode(padded))
    if not isinstance(data, dict):
        raise ValueError("claims are not an object")
    return data


# ---------------------------------------------------------------------------------- tokens


def _pkce_ok(verifier: str, challenge: str) -> bool:
    if not (43 <= len(verifier) <= 128):
        return False
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return hmac.compare_digest(digest, challenge)


def exchange_code(
    session: Session, provider: Provider, row_client: OidcClient, form: dict[str, str]
) -> dict[str, Any]:
    """grant_type=authorization_code: tokens for a valid, unused code with the right PKCE verifier."""
    code = session.scalar(
        sa.select(AuthorizationCode)
        .where(AuthorizationCode.code_sha256 == _sha256(form.get("code", "")))
        .with_for_update()
    )
    if code is None or code.client_id != row_client.client_id:
        raise OidcError("invalid_grant", "unknown code")
    if code.used_at is not None:
        _revoke_issued_by(session, code)
        raise OidcError("invalid_grant", "the code was already used; what it gave is revoked")
    if code.expires_at <= now():
        raise OidcError("invalid_grant", "the code has expired")
    if form.get("redirect_uri") != code.redirect_uri:
        raise OidcError("invalid_grant", "redirect_uri differs from the authorization request's")
    if not _pkce_ok(form.get("code_verifier", ""), code.code_challenge):
        raise OidcError("invalid_grant", "the PKCE code_verifier does not match")
    code.used_at = now()
    account = _active_account(session, code.account_id)
    return _tokens_from(
        session, provider, row_client, account, code, nonce=code.nonce, family=code.code_sha256
    )


def _active_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None or account.status != "active":
        raise OidcError("invalid_grant", "the account is not active")
    return account


def _tokens_from(
    session: Session,
    provider: Provider,
    row_client: OidcClient,
    account: Account,
    origin: AuthorizationCode | RefreshToken,
    *,
    nonce: str | None,
    family: str,
) -> dict[str, Any]:
    """Tokens for what a code or a refresh token carries: scope, level, methods, sign-in time, session."""
    return _tokens(
        session,
        provider,
        row_client,
        account,
        scope=origin.scope,
        nonce=nonce,
        acr=origin.acr,
        amr=origin.amr,
        auth_time=origin.auth_time.timestamp(),
        sid=origin.session_sid,
        family=family,
    )


def _revoke_issued_by(session: Session, code: AuthorizationCode) -> None:
    session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.family == code.code_sha256, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )


def refresh(
    session: Session, provider: Provider, row_client: OidcClient, form: dict[str, str]
) -> dict[str, Any]:
    """grant_type=refresh_token: a new refresh token replaces the one presented; presenting a replaced
    one revokes the whole family (it was stolen, or the client is confused)."""
    token = session.scalar(
        sa.select(RefreshToken)
        .where(RefreshToken.token_sha256 == _sha256(form.get("refresh_token", "")))
        .with_for_update()
    )
    if token is None or token.client_id != row_client.client_id:
        raise OidcError("invalid_grant", "unknown refresh token")
    if token.revoked_at is not None:
        raise OidcError("invalid_grant", "the refresh token is revoked")
    if token.used_at is not None:
        session.execute(
            sa.update(RefreshToken).where(RefreshToken.family == token.family).values(revoked_at=now())
        )
        raise OidcError("invalid_grant", "the refresh token was already used; its family is revoked")
    if token.expires_at <= now():
        raise OidcError("invalid_grant", "the refresh token has expired")
    token.used_at = now()
    account = _active_account(session, token.account_id)
    return _tokens_from(session, provider, row_client, account, token, nonce=None, family=token.family)


def claims_for(session: Session, account: Account, scopes: set[str]) -> dict[str, Any]:
    """The identity claims the scopes open: name, personal ID, agency and roles, enterprise."""
    claims: dict[str, Any] = {}
    if "profile" in scopes:
        claims["name"] = account.full_name
        claims["account_type"] = account.kind
        if account.birth_date:
            claims["birthdate"] = account.birth_date
    if "personal_id" in scopes and account.personal_id:
        claims["SoDinhDanh"] = account.personal_id
    if "agency" in scopes and account.agency_code:
        claims["agency_code"] = account.agency_code
        claims["roles"] = [role for _agency, role in accounts.roles_of(session, account.id)]
    if "enterprise" in scopes and account.enterprise_code:
        claims["enterprise_code"] = account.enterprise_code
    return claims


def _tokens(
    session: Session,
    provider: Provider,
    row_client: OidcClient,
    account: Account,
    *,
    scope: str,
    nonce: str | None,
    acr: str,
    amr: list[str],
    auth_time: float,
    sid: str,
    family: str,
) -> dict[str, Any]:
    config = provider.config
    kid, key = keys.signing_key(session, provider.passphrase, config)
    issued = int(time.time())
    scopes = set(scope.split())
    id_claims = {
        "iss": provider.issuer,
        "sub": account.subject,
        "aud": row_client.client_id,
        "exp": issued + config.id_token_seconds,
        "iat": issued,
        "auth_time": int(auth_time),
        "acr": acr,
        "amr": amr,
        "sid": sid,
        "azp": row_client.client_id,
        **claims_for(session, account, scopes),
    }
    if nonce:
        id_claims["nonce"] = nonce
    access_claims = {
        "iss": provider.issuer,
        "sub": account.subject,
        "aud": provider.issuer,
        "client_id": row_client.client_id,
        "exp": issued + config.access_token_seconds,
        "iat": issued,
        "jti": secrets.token_hex(12),
        "scope": scope,
        "acr": acr,
        "sid": sid,
    }
    header = {"alg": keys.ALGORITHM, "kid": kid}
    answer: dict[str, Any] = {
        "access_token": jwt.encode(
            {**header, "typ": "at+jwt"}, access_claims, key, algorithms=[keys.ALGORITHM]
        ),
        "token_type": "Bearer",
        "expires_in": config.access_token_seconds,
        "scope": scope,
        "id_token": jwt.encode({**header, "typ": "JWT"}, id_claims, key, algorithms=[keys.ALGORITHM]),
    }
    if "offline_access" in scopes:
        value = secrets.token_urlsafe(32)
        session.add(
            RefreshToken(
                token_sha256=_sha256(value),
                family=family,
                client_id=row_client.client_id,
                account_id=account.id,
                session_sid=sid,
                scope=scope,
                acr=acr,
                amr=amr,
                auth_time=datetime.fromtimestamp(auth_time, tz=UTC),
                expires_at=now() + timedelta(days=config.refresh_token_days),
            )
        )
        answer["refresh_token"] = value
    return answer


def verify_access_token(session: Session, provider: Provider, token: str) -> dict[str, Any]:
    """The claims of one of our access tokens, or OidcError("invalid_token") (RFC 6750)."""
    try:
        decoded = jwt.decode(token, _key_set(keys.jwks(session)), algorithms=[keys.ALGORITHM])
    except (JoseError, ValueError):
        raise OidcError("invalid_token", "the access token does not verify", 401) from None
    claims = decoded.claims
    if decoded.header.get("typ") != "at+jwt" or claims.get("iss") != provider.issuer:
        raise OidcError("invalid_token", "not an access token of this provider", 401)
    if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
        raise OidcError("invalid_token", "the access token has expired", 401)
    login = session.scalar(sa.select(LoginSession).where(LoginSession.sid == claims.get("sid")))
    if login is not None and login.ended_at is not None:
        raise OidcError("invalid_token", "the sign-in it came from has ended", 401)
    return dict(claims)


def userinfo(session: Session, provider: Provider, token: str) -> dict[str, Any]:
    claims = verify_access_token(session, provider, token)
    try:
        account = accounts.by_subject(session, str(claims["sub"]))
    except NotFound:
        raise OidcError("invalid_token", "the account no longer exists", 401) from None
    return {"sub": account.subject, **claims_for(session, account, set(str(claims.get("scope", "")).split()))}


# ----------------------------------------------------------------------------------- logout


def logout_target(
    session: Session, provider: Provider, id_token_hint: str | None, post_logout_redirect_uri: str | None
) -> tuple[str | None, str | None]:
    """(sid from the hint, redirect URI) for RP-initiated logout. The hint must be one of our ID tokens
    (expired ones accepted); the redirect URI must be registered for the client the hint names."""
    if not id_token_hint:
        if post_logout_redirect_uri:
            raise OidcError("invalid_request", "post_logout_redirect_uri needs an id_token_hint")
        return None, None
    try:
        decoded = jwt.decode(
            id_token_hint,
            _key_set(keys.jwks(session, at=now() - timedelta(days=30))),
            algorithms=[keys.ALGORITHM],
        )
    except (JoseError, ValueError):
        raise OidcError("invalid_request", "the id_token_hint does not verify") from None
    claims = decoded.claims
    if claims.get("iss") != provider.issuer:
        raise OidcError("invalid_request", "the id_token_hint is not from this provider")
    row = client(session, str(claims.get("aud", "")))
    if post_logout_redirect_uri and (
        row is None or post_logout_redirect_uri not in row.post_logout_redirect_uris
    ):
        raise OidcError("invalid_request", "post_logout_redirect_uri is not registered for this client")
    return str(claims.get("sid") or "") or None, post_logout_redirect_uri


def principal_for_token(session: Session, provider: Provider, token: str) -> Principal | None:
    """The acting official or citizen for one of our access tokens (agency and roles as they are now,
    not as they were when the token was issued); None if it is not ours or no longer valid."""
    try:
        claims = verify_access_token(session, provider, token)
    except OidcError:
        return None
    return current_principal(session, Principal(subject=f"identity:{claims['sub']}", agency_code=""))


def current_principal(session: Session, principal: Principal) -> Principal | None:
    """The principal of a page session as the account stands now; None if it may no longer sign in.
    Principals that are not this provider's (API keys) are left as they are."""
    if not principal.subject.startswith("identity:"):
        return principal
    try:
        account = accounts.by_subject(session, principal.subject.removeprefix("identity:"))
    except NotFound:
        return None
    if account.status != "active":
        return None
    roles = frozenset(
        role for agency, role in accounts.roles_of(session, account.id) if agency == account.agency_code
    )
    return Principal(
        subject=principal.subject,
        agency_code=account.agency_code or "",
        display_name=account.full_name,
        roles=roles,
    )
