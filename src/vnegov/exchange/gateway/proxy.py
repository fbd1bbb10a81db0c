"""One call through the gateway (cổng an ninh), from its request to its logged answer: `Call`.

The paths it serves are listed in `router.py`. A call is authenticated (client token, or a peer
gateway's or client system's certificate), checked against the registry (client, service, access
right, limits), forwarded to the provider or relayed to the next gateway, written to the message log
(group-committed, hash-chained) before its answer goes back, and counted (Prometheus, operational
monitoring). Every refusal is a security event in the outbox before its answer goes back.
"""

from __future__ import annotations

import asyncio
import binascii
import hashlib
import itertools
import os
import secrets
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote

from starlette.types import Receive, Scope, Send

from vnegov.exchange.directory import Directory, Route
from vnegov.exchange.gateway import errors as E
from vnegov.exchange.gateway import metadata, names
from vnegov.exchange.gateway.errors import GatewayError
from vnegov.exchange.gateway.http import (
    JSON,
    PROBLEM_JSON,
    ClientGone,
    answer_directly,
    direct_cycle,
    read_body,
    request_headers,
    respond,
    respond_json,
)
from vnegov.exchange.gateway.metrics import observe
from vnegov.exchange.gateway.runtime import Gateway
from vnegov.exchange.gateway.tls import Peer, PeerRefused
from vnegov.exchange.gateway.tokens import InvalidToken
from vnegov.exchange.gateway.upstream import (
    HOP_BY_HOP,
    PEER_EXTENSION,
    Upstream,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from vnegov.exchange.identifiers import ClientId, parse_dstcode
from vnegov.exchange.logstore import Bodies
from vnegov.exchange.messagelog import LogClosed, LogOverloaded, LogWriteFailed, body_hash
from vnegov.kernel.clock import VN_TZ

METADATA = ("listMethods", "allowedMethods", "getOpenAPI")
LGSP_PREFIX = "/XrdAdapter/RestService/forward/"
RELAYED = ("x-road-error", "x-road-service")  # kept from the next gateway's answer
MAX_USER_ID = 200
MAX_ISSUE = 500
UNRESOLVED = "unknown"
"""The Prometheus label of calls for no service this gateway or the next one has registered."""


class _RequestIds:
    """X-Road-Request-Id values: 32 hex digits, a random prefix per process and a counter.

    Unique across processes and restarts (64 random bits each) without asking the kernel for random
    bytes on every call, as uuid4 did (a system call per call, on the hot path). Ids, not secrets: every
    caller sees its own."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = secrets.token_hex(8)
        self.counter = itertools.count(1)

    def __call__(self) -> str:
        return f"{self.prefix}{next(self.counter):016x}"


next_request_id = _RequestIds()


class Call:
    """One call through the gateway, from its request to its logged answer."""

    def __init__(self, gw: Gateway, scope: Scope, receive: Receive, send: Send, *, lgsp: bool) -> None:
        self.gw = gw
        self.scope = scope
        self.receive = receive
        self.send = send
        self.lgsp = lgsp
        self.method: str = scope["method"]
        self.headers = request_headers(scope)
        self.direct = direct_cycle(scope)  # our server's, when the request came by its direct path
        self.govstack = "x-govstack-client" in self.headers
        self.request_id = next_request_id()
        self.message_id = self.headers.get("x-road-id") or self.request_id
        self.client: str | None = None
        self.service: str | None = None
        # The service the call is counted under in Prometheus: only one a registry knows (ours, or
        # the next gateway's, which names it in X-Road-Service), never the caller's words — each
        # label value is a series kept for the process's life, and a client could make up millions.
        self.counted = UNRESOLVED
        self.peer: Peer | None = None
        self.started = time.perf_counter()
        self.received_ms = int(time.time() * 1000)
        self.sent_ms: int | None = None  # when the call went on to the provider or the next gateway
        self.answered_ms: int | None = None  # when its answer came back
        self.relayed = False

    async def run(self) -> None:
        try:
            await self._run()
        except GatewayError as exc:
            await self.refuse(exc)
        except ClientGone:
            return

    async def _run(self) -> None:
        # The steady state without awaiting a coroutine that would return at once (each one awaited
        # is a coroutine object and a frame, per call): started, the registry snapshot fresh.
        if self.gw.log is None:
            await self.gw.ensure_started()
        if len(self.message_id) > 200:
            raise GatewayError(E.BAD_IDENTIFIER, "X-Road-Id is longer than 200 characters", field="X-Road-Id")
        refusal = self.gw.refusal()
        if refusal is not None:
            raise refusal
        provider, rest = self._address()
        directory = self.gw.fresh_directory() or await self.gw.directory()
        client = self._identify_now(directory)
        if client is None:
            client = await self._identify_certificate(directory)
        if client not in directory.subsystems:
            raise GatewayError(
                E.UNKNOWN_CLIENT,
                f"client subsystem {client} is not registered or not active",
                field="X-Road-Client",
            )
        if not rest:
            raise GatewayError(E.BAD_IDENTIFIER, "the path names no service", field="path")
        code = unquote(rest[0])
        if code in METADATA and not self.lgsp:
            return await self.metadata(directory, provider, code, client)
        names.check(code, "service code", "path")
        hop = self._next_gateway(directory, provider)
        if hop is not None:
            self.service = f"{provider}/{code}"
            return await self.relay(hop, provider, rest)
        found = directory.route(provider, code, unquote(rest[1]) if len(rest) > 1 else None)
        if found is None:
            raise GatewayError(
                E.UNKNOWN_SERVICE, f"service {provider}/{code} is not registered", field="path"
            )
        route, versioned = found
        self.service = self.counted = str(route.service)
        sub_path = (
            "/" + "/".join(rest[2 if versioned else 1 :]) if len(rest) > (2 if versioned else 1) else ""
        )
        await self.forward(route, sub_path)

    def _next_gateway(self, directory: Directory, provider: ClientId) -> str | None:
        """Where a call for `provider`'s service goes next: another gateway's address, or None (here).

        The gateway serving the provider's member, if it is not this one; else this gateway if it knows
        the member; else an LGSP's parent (the NDXP), unless the call came from there.
        """
        served_by = directory.served_by.get(provider.member)
        if served_by is not None:
            if self.peer is not None and self.peer.code == served_by:
                raise GatewayError(E.UNKNOWN_SERVICE, f"{served_by} sent back a call for its own member")
            return directory.gateways[served_by].address
        if directory.knows(provider.member):
            return None
        config = self.gw.config
        if config.parent_url and not (self.peer is not None and self.peer.code == config.parent_code):
            return config.parent_url.rstrip("/")
        return None

    # ------------------------------------------------------------------ parsing and authentication

    def _address(self) -> tuple[ClientId, list[str]]:
        raw: str = self.scope.get("raw_path", b"").decode("latin-1") or self.scope["path"]
        raw = raw.split("?", 1)[0]
        if self.lgsp:
            rest = raw[len(LGSP_PREFIX) :].split("/")
            query = parse_qs(self.scope["query_string"].decode("latin-1"))
            dstcode = (query.get("dstcode") or [""])[0]
            if not dstcode:
                raise GatewayError(
                    E.MISSING_HEADER, "the dstcode parameter names the provider subsystem", field="dstcode"
                )
            return names.parsed(parse_dstcode, dstcode, "dstcode"), rest
        parts = raw[len("/r1/") :].split("/")
        if len(parts) < 4 or not all(parts[:4]):
            raise GatewayError(
                E.BAD_IDENTIFIER,
                "the path must be /r1/{instance}/{class}/{member}/{subsystem}/{service}[/path]",
                field="path",
            )
        return names.provider_at("/".join(parts[:4])), parts[4:]

    def _identify_now(self, directory: Directory) -> str | None:
        """The calling subsystem, when it can be told without waiting: from a client token, from a
        gateway of this process, or from a certificate identified lately (no coroutine awaited: each
        is a coroutine object and a frame per call). None: a certificate to identify off the loop."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        extensions = self.scope.get("extensions") or {}
        in_process = extensions.get(PEER_EXTENSION)
        if in_process:  # another gateway of this process (`vnegov up` with embedded tiers)
            return self._peer_asserted(directory, Peer(code=in_process, agency="", serial=0))
        chain = (extensions.get("tls") or {}).get("client_cert_chain") or []
        if not token.strip() and chain:
            peer = self.gw.peers.cached(chain[0])
            return None if peer is None else self._certified(directory, peer)
        return self._authenticate(directory, scheme, token)

    async def _identify_certificate(self, directory: Directory) -> str:
        """A certificate (mutual TLS) not identified lately: parsed and checked for revocation (which
        may fetch a CRL) off the event loop."""
        pem = self.scope["extensions"]["tls"]["client_cert_chain"][0]
        try:
            peer = await asyncio.to_thread(self.gw.peers.identify, pem)
        except PeerRefused as exc:
            raise GatewayError(E.CLIENT_AUTH, f"certificate refused: {exc}") from None
        return self._certified(directory, peer)

    def _certified(self, directory: Directory, peer: Peer) -> str:
        """The caller a certificate stands for: another gateway's, asserting the caller in
        X-Road-Client, or a client system's own (CN = its subsystem id, UID=MDDT:<its agency>)."""
        config = self.gw.config
        named = names.certificate_named(peer.code)
        if named.member_code != peer.agency:
            raise GatewayError(
                E.CLIENT_AUTH, f"{peer.code}'s certificate names another agency ({peer.agency})"
            )
        if not (peer.code in directory.gateways or peer.code == config.parent_code):
            return self._system_certificate(directory, named)
        return self._peer_asserted(directory, peer)

    def _peer_asserted(self, directory: Directory, peer: Peer) -> str:
        """The caller another gateway vouches for in X-Road-Client: one of its members' systems, or
        anyone's when it is our parent (the NDXP)."""
        config = self.gw.config
        if not (peer.code in directory.gateways or peer.code == config.parent_code):
            raise GatewayError(E.CLIENT_AUTH, f"{peer.code} is not a gateway of this federation")
        self.peer = peer
        stated = self.headers.get("x-road-client")
        if stated is None:
            raise GatewayError(
                E.MISSING_HEADER, "X-Road-Client names the calling subsystem", field="X-Road-Client"
            )
        client = names.client_named(stated, "X-Road-Client")
        self.client = str(client)
        if peer.code != config.parent_code and directory.served_by.get(client.member) != peer.code:
            raise GatewayError(
                E.CLIENT_MISMATCH,
                f"gateway {peer.code} does not serve member {client.member}",
                field="X-Road-Client",
            )
        return self.client

    def _system_certificate(self, directory: Directory, system: ClientId) -> str:
        """A client system of this gateway presenting its own certificate (`tls_client` profile)."""
        if str(system) not in directory.subsystems or system.member in directory.served_by:
            raise GatewayError(
                E.CLIENT_AUTH, f"{system} is neither a gateway of this federation nor a system connected here"
            )
        stated = self.headers.get("x-road-client")
        if stated is not None and str(names.client_named(stated, "X-Road-Client")) != str(system):
            raise GatewayError(
                E.CLIENT_MISMATCH,
                f"X-Road-Client is not the certificate's system ({system})",
                field="X-Road-Client",
            )
        self.client = str(system)
        return self.client

    def _authenticate(self, directory: Directory, scheme: str, token: str) -> str:
        if scheme.lower() != "bearer" or not token.strip():
            raise GatewayError(
                E.CLIENT_AUTH,
                "present an access token from POST /token as 'Authorization: Bearer <token>'",
                field="Authorization",
            )
        try:
            claims = self.gw.tokens.verify(token.strip())
        except InvalidToken as exc:
            raise GatewayError(E.CLIENT_AUTH, str(exc), field="Authorization") from None
        if claims.credential not in directory.credentials:
            raise GatewayError(
                E.CLIENT_AUTH, "the credential of this access token has been revoked", field="Authorization"
            )
        self.client = claims.client
        stated = self.headers.get("x-road-client") or self.headers.get("x-govstack-client")
        if stated is None:
            if self.lgsp:
                return claims.client
            raise GatewayError(
                E.MISSING_HEADER, "X-Road-Client names the calling subsystem", field="X-Road-Client"
            )
        header = "X-GovStack-Client" if self.govstack else "X-Road-Client"
        named = names.client_named(stated, header)
        if str(named) != claims.client:
            raise GatewayError(
                E.CLIENT_MISMATCH,
                f"{header} {named} is not the subsystem this token was issued to ({claims.client})",
                field=header,
            )
        return claims.client

    # ------------------------------------------------------------------ forwarding

    def _limits(self, route: Route) -> tuple[int, float, float, float, int | None]:
        """Body limit, timeout, rate, burst and daily quota: this client's (from its access rights), else
        the service's, else the defaults. A set rate allows a burst of one second's worth; the default
        rate, `rate_burst`."""
        c = self.gw.config
        own_rate, own_quota = route.client_limits.get(self.client or "", (None, None))
        set_rate = own_rate or route.rate_per_second
        rate = set_rate or c.rate_per_second
        burst = float(c.rate_burst) if set_rate is None else max(1.0, rate)
        return (
            route.max_body_bytes or c.max_body_bytes,
            route.timeout_seconds or c.timeout_seconds,
            rate,
            burst,
            own_quota or route.quota_per_day or c.quota_per_day,
        )

    async def forward(self, route: Route, sub_path: str) -> None:
        assert self.client is not None
        if route.status != "active":
            raise GatewayError(E.SERVICE_DISABLED, f"service {route.service} is not active")
        check_path = unquote(sub_path) or "/"
        if not route.allows(self.client, self.method, check_path):
            raise GatewayError(
                E.ACCESS_DENIED,
                f"Request is not allowed: {self.client} may not call "
                f"{self.method} {check_path} on {route.service}",
            )
        max_body, timeout, rate, burst, quota = self._limits(route)
        wait = self.gw.rates.take((self.client, self.service or ""), rate, burst)
        if wait:
            raise GatewayError(
                E.RATE_LIMITED, f"more than {rate:g} calls per second to {route.service}", retry_after=wait
            )
        if quota is not None:
            await self._take_quota(quota)
        user_id, issue = self._user_and_issue()
        body = await self._body(max_body)
        query = self.scope["query_string"].decode("latin-1")
        if self.lgsp:
            query = "&".join(
                p for p in query.split("&") if p and not p.startswith(("dstcode=", "providerurl="))
            )
        url = route.upstream_url.rstrip("/") + sub_path + (f"?{query}" if query else "")
        await self._deliver(
            self.gw.upstream, url, body, timeout, user_id, issue, body_logging=route.body_logging
        )

    async def relay(self, address: str, provider: ClientId, rest: list[str]) -> None:
        """Hand the call to the next gateway over mutual TLS; the provider's gateway checks the right."""
        assert self.client is not None and self.service is not None
        config = self.gw.config
        wait = self.gw.rates.take(
            (self.client, self.service), config.rate_per_second, float(config.rate_burst)
        )
        if wait:
            raise GatewayError(
                E.RATE_LIMITED, f"more than {config.rate_per_second:g} calls per second", retry_after=wait
            )
        if not address.startswith("https://") and not self.gw.peer_upstream.is_local(address):
            raise GatewayError(E.NETWORK_ERROR, f"refusing to call the gateway at {address} without TLS")
        user_id, issue = self._user_and_issue()
        body = await self._body(config.max_body_bytes)
        query = self.scope["query_string"].decode("latin-1")
        url = f"{address}/r1/{provider}/{'/'.join(rest)}" + (f"?{query}" if query else "")
        await self._deliver(
            self.gw.peer_upstream, url, body, config.timeout_seconds, user_id, issue, relayed=True
        )

    def _user_and_issue(self) -> tuple[str, str]:
        user_id = self.headers.get("x-road-userid", "")
        issue = self.headers.get("x-road-issue", "")
        if len(user_id) > MAX_USER_ID:
            raise GatewayError(
                E.BAD_IDENTIFIER, f"X-Road-UserId is longer than {MAX_USER_ID}", field="X-Road-UserId"
            )
        if len(issue) > MAX_ISSUE:
            raise GatewayError(
                E.BAD_IDENTIFIER, f"X-Road-Issue is longer than {MAX_ISSUE}", field="X-Road-Issue"
            )
        return user_id, issue

    async def _body(self, max_body: int) -> bytes:
        declared = self.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_body):
            raise GatewayError(
                E.BODY_TOO_LARGE, f"the request body is larger than {max_body} bytes", field="body"
            )
        body = None if self.direct is None else self.direct.take_body()  # None: not taken yet
        if body is None:
            body = await read_body(self.receive, max_body)
        elif len(body) > max_body:
            body = None
        if body is None:
            raise GatewayError(
                E.BODY_TOO_LARGE, f"the request body is larger than {max_body} bytes", field="body"
            )
        return body

    async def _deliver(
        self,
        upstream: Upstream,
        url: str,
        body: bytes,
        timeout: float,
        user_id: str,
        issue: str,
        *,
        relayed: bool = False,
        body_logging: str = "metadata",
    ) -> None:
        """Send, log the exchange durably, then answer (the provider's or next gateway's answer)."""
        request_time = datetime.now(UTC)
        self.sent_ms, self.relayed = int(time.time() * 1000), relayed
        try:
            answer = await upstream.send(self.method, url, self._upstream_headers(), body, timeout)
            status, out_headers, out_body = answer.status, answer.headers, answer.body
            failure: GatewayError | None = None
        except (UpstreamTimeout, UpstreamUnreachable) as exc:
            kind = E.UPSTREAM_TIMEOUT if isinstance(exc, UpstreamTimeout) else E.NETWORK_ERROR
            failure = GatewayError(kind, str(exc))
            status, out_headers, out_body = kind.status, [], self._error_body(failure)
        response_time = datetime.now(UTC)
        self.answered_ms = int(time.time() * 1000)
        # From another gateway: its error type and the service it resolved; never from a provider.
        downstream = {k: v for k, v in out_headers if k in RELAYED} if relayed else {}  # names: lower case
        logged_service = downstream.get("x-road-service") or self.service or ""
        if relayed:
            self.counted = downstream.get("x-road-service") or UNRESOLVED
        if body_logging != "off":  # "off": the provider declared this public data not worth a record
            bodies = None
            if body_logging == "full":
                content_type = dict(out_headers).get("content-type", "")
                bodies = Bodies(
                    body, out_body, self.headers.get("content-type", "")[:200], content_type[:200]
                )
            await self._log(
                logged_service, body, out_body, status, request_time, response_time, user_id, issue, bodies
            )
            self.gw.note_logged()
        observe(
            self.counted,
            str(status) if failure is None else failure.kind.code,
            time.perf_counter() - self.started,
        )
        fault = failure.kind.xroad if failure else downstream.get("x-road-error", "")
        self._monitor(status, len(body), len(out_body), fault, str(failure.message) if failure else "")
        if failure is not None:
            await self._send_error(failure, out_body)
            return
        request_hash = binascii.b2a_base64(hashlib.sha512(body).digest(), newline=False).decode()
        headers = [(k, v) for k, v in out_headers if not k.startswith("x-road-")]  # hop-by-hop: dropped
        self.service = logged_service
        headers += [*self._xroad_headers(), ("X-Road-Request-Hash", request_hash)]
        if "x-road-error" in downstream:
            headers.append(("X-Road-Error", downstream["x-road-error"]))
        if user_id:
            headers.append(("X-Road-UserId", user_id))
        if issue:
            headers.append(("X-Road-Issue", issue))
        if not answer_directly(self.direct, status, out_body, headers):
            await respond(self.send, status, out_body, headers)

    async def _take_quota(self, quota: int) -> None:
        assert self.client is not None and self.service is not None
        day = datetime.now(VN_TZ).date()
        taken = self.gw.quota.take(self.client, self.service, day, quota)
        if taken is None:  # this process's block is used up: lease the next (shared with its peers)
            taken = await self.gw.run_db(self.gw.quota.lease_and_take, self.client, self.service, day, quota)
        if not taken:
            raise GatewayError(
                E.QUOTA_EXCEEDED, f"the daily quota of {quota} calls to {self.service} is used up"
            )

    def _upstream_headers(self) -> list[tuple[str, str]]:
        assert self.client is not None and self.service is not None
        kept = [
            (k, v)
            for k, v in self.headers.items()
            if k not in HOP_BY_HOP
            and k not in ("x-road-client", "x-govstack-client", "x-road-id", "x-road-service")
        ]
        return kept + self._xroad_headers()

    def _xroad_headers(self) -> list[tuple[str, str]]:
        return [
            ("X-Road-Client", self.client or ""),
            ("X-Road-Service", self.service or ""),
            ("X-Road-Id", self.message_id),
            ("X-Road-Request-Id", self.request_id),
        ]

    async def _log(
        self,
        service: str,
        body: bytes,
        out_body: bytes,
        status: int,
        request_time: datetime,
        response_time: datetime,
        user_id: str,
        issue: str,
        bodies: Bodies | None = None,
    ) -> None:
        log = self.gw.log
        if log is None:
            raise GatewayError(E.LOGGING_FAILED, "the message log is not running")
        try:
            await log.write(
                attachment=bodies,
                message_id=self.message_id,
                query_id=self.request_id,
                client=self.client,
                service=service,
                user_id=user_id,
                issue=issue,
                request_time=request_time,
                response_time=response_time,
                request_hash=body_hash(body),
                response_hash=body_hash(out_body),
                status=status,
                request_size=len(body),
                response_size=len(out_body),
                gateway_id=self.gw.gateway_id,
            )
        except (LogClosed, LogOverloaded, LogWriteFailed) as exc:
            raise GatewayError(
                E.LOGGING_FAILED, f"the call could not be logged, so its answer is withheld: {exc}"
            ) from exc

    # ------------------------------------------------------------------ metadata (PR-MREST, GovStack)

    async def metadata(self, directory: Directory, provider: ClientId, method: str, client: str) -> None:
        if self.method != "GET":
            raise GatewayError(E.BAD_METHOD, f"{method} answers GET only")
        self.service = f"{provider}/{method}"
        if method == "getOpenAPI":
            query = parse_qs(self.scope["query_string"].decode("latin-1"))
            document = metadata.openapi_of(directory, provider, (query.get("serviceCode") or [""])[0])
            await respond_json(self.send, 200, document, self._xroad_headers(), "application/json")
            return
        listing = metadata.methods(
            directory, provider, client, allowed_only=method == "allowedMethods", govstack=self.govstack
        )
        await respond_json(self.send, 200, listing, self._xroad_headers(), "application/json")

    # ------------------------------------------------------------------ refusals

    def _error_body(self, exc: GatewayError) -> bytes:
        return E.error_body(exc, lgsp=self.lgsp, message_id=self.message_id, request_id=self.request_id)

    async def _send_error(self, exc: GatewayError, body: bytes) -> None:
        headers = [
            ("X-Road-Error", exc.kind.xroad),
            ("X-Road-Id", self.message_id),
            ("X-Road-Request-Id", self.request_id),
        ]
        if exc.retry_after is not None:
            headers.append(("Retry-After", str(max(1, round(exc.retry_after)))))
        if exc.kind is E.CLIENT_AUTH:
            headers.append(("WWW-Authenticate", 'Bearer realm="vnegov-exchange"'))
        content_type = JSON if self.lgsp else PROBLEM_JSON
        if not answer_directly(self.direct, exc.kind.status, body, headers, content_type):
            await respond(self.send, exc.kind.status, body, headers, content_type)

    def _monitor(
        self, status: int, request_size: int, response_size: int, fault: str, fault_string: str
    ) -> None:
        """Hand this call's operational monitoring record to the background writer."""
        opmon = self.gw.opmon
        if opmon is None:
            return
        now_ms = int(time.time() * 1000)
        opmon.record(  # in `opmon.ROW_FIELDS` order
            (
                now_ms // 1000,  # monitoring_data_ts
                "Client" if self.relayed or self.sent_ms is None else "Producer",  # security_server_type
                self.gw.gateway_id,
                self.received_ms,  # request_in_ts
                self.sent_ms,  # request_out_ts
                self.answered_ms,  # response_in_ts
                now_ms,  # response_out_ts
                self.client or "",
                self.service or "",
                self.message_id[:200],
                self.headers.get("x-road-userid", "")[:200],  # message_user_id
                self.headers.get("x-road-issue", "")[:500],  # message_issue
                "lgsp" if self.lgsp else "r1",  # message_protocol_version
                self.method[:10],  # rest_method
                self.scope["path"][:2000],  # rest_path
                request_size,
                response_size,
                status,  # status_code
                not fault and status < 400,  # succeeded
                fault[:200],  # fault_code
                fault_string[:2000],
                "REST",  # service_type
            )
        )

    async def refuse(self, exc: GatewayError) -> None:
        observe(self.counted, exc.kind.code, time.perf_counter() - self.started)
        declared = self.headers.get("content-length", "0")
        self._monitor(
            exc.kind.status, int(declared) if declared.isdigit() else 0, 0, exc.kind.xroad, exc.message
        )
        if exc.kind not in (E.LOGGING_FAILED, E.TIMESTAMPING_FAILED, E.NETWORK_ERROR, E.UPSTREAM_TIMEOUT):
            await self.gw.security_event(
                self.scope,
                exc.kind,
                exc.message,
                client=self.client,
                service=self.service,
                message_id=self.message_id,
                request_id=self.request_id,
                field=exc.field,
            )
        await self._send_error(exc, self._error_body(exc))
