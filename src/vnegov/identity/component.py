"""How the identity component plugs into the platform: the OpenID Connect provider's endpoints and pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from vnegov.components import ComponentSpec
from vnegov.identity import api, keys, oidc, views
from vnegov.identity.oidc import Provider
from vnegov.identity.seed import seed
from vnegov.kernel.db import Database
from vnegov.kernel.jobs import Job
from vnegov.kernel.settings import Settings
from vnegov.signing.context import resolve_passphrase

HERE = Path(__file__).parent


def setup(app: FastAPI, settings: Settings, db: Database) -> None:
    issuer = (settings.identity.issuer or settings.signing.public_base_url).rstrip("/")
    provider = Provider(issuer, settings.identity, resolve_passphrase(settings))
    app.state.identity_provider = provider
    # The platform's APIs accept the provider's access tokens as well as API keys.
    verifiers = getattr(app.state, "token_verifiers", [])
    # Officials signed in to the pages are who their account says now (a disabled account is out at
    # once, a removed role is gone at once).
    refreshers = getattr(app.state, "principal_refreshers", [])
    app.state.principal_refreshers = [*refreshers, oidc.current_principal]
    app.state.token_verifiers = [
        *verifiers,
        lambda session, token: oidc.principal_for_token(session, provider, token),
    ]


def _rotation(app: FastAPI) -> Callable[[], None]:
    def rotate() -> None:
        provider: Provider = app.state.identity_provider
        with app.state.db.transaction() as session:
            keys.rotate(session, provider.passphrase, provider.config)

    return rotate


def jobs(app: FastAPI) -> list[Job]:
    return [Job("identity-key-rotation", 3600, _rotation(app))]


COMPONENT = ComponentSpec(
    name="identity",
    framework_numbers=(1,),
    title_vi="Người dùng, định danh",
    title_en="Users and identity",
    migrations=HERE / "migrations",
    partial=True,  # business accounts, officials' administration and relying-party helpers come next
    extra_routers=(api.router,),
    views_router=views.router,
    templates=HERE / "templates",
    nav=(("/identity/account", "Tài khoản của tôi", "My account"),),
    seed=seed,
    setup=setup,
    jobs=jobs,
)
