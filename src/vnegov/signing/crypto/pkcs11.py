"""Keys in a hardware security module (khóa trong thiết bị HSM) through PKCS#11.

`Pkcs11Signer` implements the `Signer` protocol of `vnegov.signing.crypto.keys` over a private key
that stays on a PKCS#11 token (a network or PCIe HSM, a USB token, or SoftHSM2 for tests). Everything
that takes a `Signer` — CAs, CRLs, OCSP, the TSA — works with it unchanged: the X.509 builders sign the
to-be-signed bytes through `sign()`; the key never leaves the token.

Signatures are exactly what `FileSigner` produces: the digest is computed here and the token signs it
(CKM_ECDSA → DER ECDSA-Sig-Value; CKM_RSA_PKCS over a DigestInfo → PKCS#1 v1.5 with SHA-256), or the
token signs the whole message (CKM_EDDSA → pure Ed25519). Every signature is checked against the public
key before it is returned, which catches a stale session after a token reset and faulty hardware.

    signer = generate_key_on_token("/usr/lib/softhsm/libsofthsm2.so", "vnegov", pin, "gov-ca-2026")
    signer = open_pkcs11_signer("/usr/lib/softhsm/libsofthsm2.so", "vnegov", pin, key_label="gov-ca-2026")

Threads and sessions. python-pkcs11 calls C_Initialize without locking arguments, which per PKCS#11
means the module may assume a single thread (SoftHSM2 then switches its own mutexes off), so every call
into one module goes through one lock for that module. Each signer has its own session. A user logs in
to a token once per process, not per session (a second C_Login fails with CKR_USER_ALREADY_LOGGED_IN),
so one login session per (module, token) is shared and each signer opens an unauthenticated session
that inherits it. A session that stops working (token reset, module re-initialised, device removed)
is dropped and reopened once, logging in again if needed.

Tokens initialised after the module was loaded are not visible to SoftHSM2 until the module is
re-initialised: `refresh_pkcs11_module`. Load signers after forking worker processes, not before.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pkcs11
from asn1crypto import core as asn1_core
from asn1crypto import keys as asn1_keys
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11
from pkcs11.util.ec import encode_ecdsa_signature, encode_named_curve_parameters

from vnegov.kernel.errors import Conflict, InvalidInput, UpstreamUnavailable
from vnegov.signing.crypto.errors import UnsupportedKeyError
from vnegov.signing.crypto.keys import (
    DEFAULT_KEY_ALGORITHM,
    KeyAlgorithm,
    PublicKey,
    SignatureAlgorithm,
    signature_algorithm_for,
    verify_signature,
)

__all__ = [
    "SOFTHSM2_MODULE_PATHS",
    "HsmError",
    "HsmKeyNotFound",
    "HsmModuleNotFound",
    "HsmPinIncorrect",
    "HsmTokenNotFound",
    "Pkcs11Signer",
    "find_softhsm2_module",
    "generate_key_on_token",
    "open_pkcs11_signer",
    "refresh_pkcs11_module",
]

# Where distributions install SoftHSM2's module (Debian/Ubuntu first: apt package `softhsm2`).
SOFTHSM2_MODULE_PATHS = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
)

_T = TypeVar("_T")


class HsmError(UpstreamUnavailable):
    """The HSM or its PKCS#11 module cannot be used (không sử dụng được thiết bị HSM)."""

    code = "hsm_error"


class HsmModuleNotFound(HsmError):
    """The PKCS#11 module (thư viện PKCS#11) is missing or is not a PKCS#11 library."""

    code = "hsm_module_not_found"


class HsmTokenNotFound(HsmError):
    """No token (thẻ/khe của HSM) carries the configured label."""

    code = "hsm_token_not_found"


class HsmPinIncorrect(HsmError):
    """The user PIN (mã PIN người dùng) is wrong, locked or expired."""

    code = "hsm_pin_incorrect"


class HsmKeyNotFound(HsmError):
    """No private key (or its public key) with the configured label/id is on the token."""

    code = "hsm_key_not_found"


def find_softhsm2_module() -> str | None:
    """The path of SoftHSM2's PKCS#11 module if installed (`apt-get install softhsm2`), else None."""
    return next((path for path in SOFTHSM2_MODULE_PATHS if Path(path).is_file()), None)


# ---------------------------------------------------------------------------------------------------
# Modules, tokens and the per-process login


@dataclass
class _Login:
    """One authenticated session per (module, token): PKCS#11 logins are per process, not per session."""

    token: Any
    session: Any | None  # None if someone else in this process logged in first


_REGISTRY_LOCK = threading.Lock()
_MODULE_LOCKS: dict[str, threading.RLock] = {}
_LOGINS: dict[tuple[str, str], _Login] = {}
_PIN_DIGESTS: dict[tuple[str, str], bytes] = {}  # of PINs that logged in, to refuse a different one
_PIN_KEY = os.urandom(32)


def _module_key(module: str | os.PathLike[str]) -> str:
    return os.path.abspath(os.fspath(module))


def _module_lock(module: str) -> threading.RLock:
    with _REGISTRY_LOCK:
        return _MODULE_LOCKS.setdefault(module, threading.RLock())


def _load(module: str) -> Any:
    """The loaded and initialised module (call with the module lock held)."""
    if not Path(module).is_file():
        raise HsmModuleNotFound(
            f"PKCS#11 module {module} not found (for SoftHSM2: apt-get install softhsm2)", module=module
        )
    try:
        return pkcs11.lib(module)
    except p11.PKCS11Error as exc:
        raise HsmModuleNotFound(
            f"{module} could not be loaded as a PKCS#11 module: {exc}", module=module
        ) from None


def refresh_pkcs11_module(module: str | os.PathLike[str]) -> None:
    """Re-initialise a module (C_Finalize, C_Initialize) so it sees tokens initialised since it loaded.

    Every session on the module ends; each `Pkcs11Signer` reopens its own on its next use.
    """
    key = _module_key(module)
    with _module_lock(key):
        lib = _load(key)
        for token_key in [k for k in _LOGINS if k[0] == key]:
            del _LOGINS[token_key]
        for token_key in [k for k in _PIN_DIGESTS if k[0] == key]:
            del _PIN_DIGESTS[token_key]  # the next login checks the PIN on the token again
        try:
            lib.reinitialize()
        except p11.PKCS11Error as exc:
            raise HsmError(f"re-initialising {key} failed: {exc!r}", module=key) from None


def _find_token(lib: Any, module: str, token_label: str) -> Any:
    try:
        return lib.get_token(token_label=token_label)
    except p11.NoSuchToken:
        present = sorted(str(t.label) for t in lib.get_tokens() if str(t.label))
        raise HsmTokenNotFound(
            f"no token labelled {token_label!r} in {module} (tokens present: {', '.join(present) or 'none'})",
            module=module,
            token=token_label,
        ) from None
    except p11.MultipleTokensReturned:
        raise HsmError(
            f"more than one token is labelled {token_label!r} in {module}",
            code="hsm_token_ambiguous",
            module=module,
            token=token_label,
        ) from None


def _pin_digest(pin: str) -> bytes:
    return hmac.new(_PIN_KEY, pin.encode("utf-8"), hashlib.sha256).digest()


def _login(module: str, token_label: str, pin: str) -> _Login:
    """The process's login to the token (call with the module lock held)."""
    if not pin:
        raise InvalidInput("the HSM user PIN must not be empty", field="pin", code="hsm_pin_empty")
    key = (module, token_label)
    known = _PIN_DIGESTS.get(key)
    if known is not None and not hmac.compare_digest(known, _pin_digest(pin)):
        raise HsmPinIncorrect(
            f"the PIN differs from the one this process logged in to token {token_label!r} with",
            module=module,
            token=token_label,
        )
    login = _LOGINS.get(key)
    if login is not None:
        return login
    token = _find_token(_load(module), module, token_label)
    try:
        session = token.open(user_pin=pin)
    except p11.UserAlreadyLoggedIn:
        session = None  # logged in by other code of this process; our sessions inherit it
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange):
        raise HsmPinIncorrect(
            f"wrong user PIN for token {token_label!r}", module=module, token=token_label
        ) from None
    except (p11.PinLocked, p11.PinExpired, p11.UserPinNotInitialized) as exc:
        raise HsmPinIncorrect(
            f"the user PIN of token {token_label!r} cannot be used: {type(exc).__name__}",
            code="hsm_pin_locked",
            module=module,
            token=token_label,
        ) from None
    except p11.PKCS11Error as exc:
        raise HsmError(
            f"logging in to token {token_label!r} failed: {exc!r}", module=module, token=token_label
        ) from None
    _PIN_DIGESTS[key] = _pin_digest(pin)
    login = _Login(token, session)
    _LOGINS[key] = login
    return login


def _forget_login(module: str, token_label: str, login: _Login) -> None:
    """Drop a login whose session stopped working (not closed: after a reset its handle may be reused)."""
    if _LOGINS.get((module, token_label)) is login:
        del _LOGINS[(module, token_label)]


# ---------------------------------------------------------------------------------------------------
# Keys on the token

_ED25519_PARAMS = {"1.3.101.112", "1.3.6.1.4.1.11591.15.1", "edwards25519"}
_ED25519_PARAMS_DER = bytes.fromhex("06032b6570")  # id-Ed25519 (RFC 8410), as SoftHSM2 and OpenSC use
_DIGEST_INFO_PREFIX = {  # DER DigestInfo up to the digest (RFC 8017 §9.2, note 1)
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
_SIGN_MECHANISM = {"ecdsa": Mechanism.ECDSA, "rsa": Mechanism.RSA_PKCS, "ed25519": Mechanism.EDDSA}
_RESET_ERRORS: tuple[type[Exception], ...] = (
    p11.SessionHandleInvalid,
    p11.SessionClosed,
    p11.UserNotLoggedIn,
    p11.TokenNotPresent,
    p11.TokenNotRecognised,
    p11.DeviceRemoved,
    p11.ObjectHandleInvalid,
    p11.KeyHandleInvalid,
)


def _key_id_bytes(key_id: bytes | str | None) -> bytes | None:
    if key_id is None or isinstance(key_id, bytes):
        return key_id or None
    try:
        return bytes.fromhex(key_id.replace(":", ""))
    except ValueError:
        raise InvalidInput(
            f"key id {key_id!r} is not hexadecimal", field="key_id", code="hsm_key_id_invalid"
        ) from None


def _describe(key_label: str | None, key_id: bytes | None) -> str:
    parts = [f"label {key_label!r}"] if key_label else []
    if key_id:
        parts.append(f"id {key_id.hex()}")
    return " and ".join(parts)


def _one_object(session: Any, object_class: ObjectClass, key_label: str | None, key_id: bytes | None) -> Any:
    """The single object of a class with this label and/or id, or None."""
    template: dict[Attribute, Any] = {Attribute.CLASS: object_class}
    if key_label:
        template[Attribute.LABEL] = key_label
    if key_id:
        template[Attribute.ID] = key_id
    found = list(session.get_objects(template))
    if len(found) > 1:
        raise HsmError(
            f"{len(found)} {object_class.name.lower()} objects have {_describe(key_label, key_id)}",
            code="hsm_key_ambiguous",
        )
    return found[0] if found else None


def _ec_point(raw: bytes) -> list[bytes]:
    """Candidate encodings of CKA_EC_POINT: DER OCTET STRING (the standard) first, then raw."""
    try:
        inner = asn1_core.OctetString.load(raw)
        return [bytes(inner.native), raw]
    except ValueError:
        return [raw]


def _public_key(private: Any, public: Any | None, where: str) -> PublicKey:
    key_type = private[Attribute.KEY_TYPE]
    if key_type == KeyType.RSA:
        source = public if public is not None else private  # RSA private keys carry n and e in clear
        n = int.from_bytes(source[Attribute.MODULUS], "big")
        e = int.from_bytes(source[Attribute.PUBLIC_EXPONENT], "big")
        return rsa.RSAPublicNumbers(e, n).public_key()
    if key_type not in (KeyType.EC, KeyType.EC_EDWARDS):
        raise UnsupportedKeyError(f"the key {where} is of PKCS#11 type {key_type!r} (ECDSA, RSA, Ed25519)")
    if public is None:
        raise HsmKeyNotFound(f"the public key that belongs to the private key {where} is not on the token")
    points = _ec_point(public[Attribute.EC_POINT])
    if key_type == KeyType.EC_EDWARDS:
        curve = _edwards_curve(public[Attribute.EC_PARAMS])
        if curve not in _ED25519_PARAMS:
            raise UnsupportedKeyError(f"the Edwards key {where} is on curve {curve} (only Ed25519)")
        for point in points:
            if len(point) == 32:
                return ed25519.Ed25519PublicKey.from_public_bytes(point)
        raise HsmError(f"the Ed25519 public key {where} has a malformed EC_POINT", code="hsm_key_malformed")
    params = asn1_keys.ECDomainParameters.load(public[Attribute.EC_PARAMS])
    if params.name != "named":
        raise UnsupportedKeyError(f"the EC key {where} uses explicit curve parameters (named curves only)")
    for point in points:
        spki = asn1_keys.PublicKeyInfo(
            {"algorithm": {"algorithm": "ec", "parameters": params}, "public_key": point}
        ).dump()
        try:
            loaded = serialization.load_der_public_key(spki)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
        if isinstance(loaded, PublicKey):
            return loaded
    raise UnsupportedKeyError(f"the EC public key {where} cannot be read (curve {params.chosen.native})")


def _edwards_curve(params: bytes) -> str:
    """CKA_EC_PARAMS of an Edwards key: an OID, or a PrintableString curve name (PKCS#11 3.0)."""
    for kind in (asn1_core.ObjectIdentifier, asn1_core.PrintableString):
        try:
            value = kind.load(params)
            return value.dotted if isinstance(value, asn1_core.ObjectIdentifier) else str(value.native)
        except (ValueError, TypeError):
            continue
    return params.hex()


def _digest(algorithm: SignatureAlgorithm, data: bytes) -> bytes:
    assert algorithm.hash is not None
    digest = hashes.Hash(algorithm.hash)
    digest.update(data)
    return digest.finalize()


@dataclass
class _Connection:
    login: _Login
    session: Any
    private: Any


class Pkcs11Signer:
    """A private key on a PKCS#11 token (khóa bí mật lưu trong HSM), used through `sign()` only.

    Found by `key_label` and/or `key_id` (bytes, or hex as `pkcs11-tool --id` prints it). With
    `require_non_extractable` (the default) a key the token would let out — CKA_EXTRACTABLE true or
    CKA_SENSITIVE false — is refused. The PIN is kept in memory to log in again after a token reset.
    """

    def __init__(
        self,
        module: str | os.PathLike[str],
        token_label: str,
        pin: str,
        *,
        key_label: str | None = None,
        key_id: bytes | str | None = None,
        require_non_extractable: bool = True,
    ) -> None:
        self._module = _module_key(module)
        self._token_label = token_label
        self._pin = pin
        self._key_label = key_label or None
        self._key_id = _key_id_bytes(key_id)
        if self._key_label is None and self._key_id is None:
            raise InvalidInput("name the key on the token by label or id", field="key_label")
        self._require_non_extractable = require_non_extractable
        self._lock = _module_lock(self._module)
        self._connection: _Connection | None = None
        with self._lock:
            connection = self._connect()
            try:
                self._public_key, self._algorithm = self._read_public_key(connection)
                self._mechanism = _SIGN_MECHANISM[self._algorithm.key_type]
                self._check_mechanism(connection)
            except BaseException:
                self.close()
                raise

    # -- the Signer protocol -------------------------------------------------------------------------

    @property
    def algorithm(self) -> SignatureAlgorithm:
        return self._algorithm

    def public_key(self) -> PublicKey:
        return self._public_key

    def sign(self, data: bytes) -> bytes:
        """Sign like `FileSigner.sign`: DER ECDSA, PKCS#1 v1.5 (SHA-256) or pure Ed25519."""
        algorithm = self._algorithm
        if algorithm.key_type == "ed25519":
            payload = data
        elif algorithm.key_type == "ecdsa":
            payload = _digest(algorithm, data)
        else:
            payload = _DIGEST_INFO_PREFIX[algorithm.hash_name or ""] + _digest(algorithm, data)

        def attempt(connection: _Connection) -> bytes | None:
            raw = bytes(connection.private.sign(payload, mechanism=self._mechanism))
            signature = encode_ecdsa_signature(raw) if algorithm.key_type == "ecdsa" else raw
            try:
                verify_signature(self._public_key, algorithm, signature, data)
            except InvalidSignature:
                return None  # a stale session signing with some other key, or a hardware fault
            return signature

        return self._with_connection(attempt, "signing")

    # -- more ----------------------------------------------------------------------------------------

    @property
    def token_label(self) -> str:
        return self._token_label

    @property
    def key_label(self) -> str | None:
        return self._key_label

    @property
    def key_id(self) -> bytes | None:
        return self._key_id

    def key_attributes(self) -> dict[str, bool]:
        """What the token says about the private key: sensitive, extractable, never_extractable, …"""
        names = {
            "sensitive": Attribute.SENSITIVE,
            "extractable": Attribute.EXTRACTABLE,
            "always_sensitive": Attribute.ALWAYS_SENSITIVE,
            "never_extractable": Attribute.NEVER_EXTRACTABLE,
            "local": Attribute.LOCAL,
            "private": Attribute.PRIVATE,
            "token": Attribute.TOKEN,
            "sign": Attribute.SIGN,
        }

        def read(connection: _Connection) -> dict[str, bool]:
            return {name: bool(connection.private[attribute]) for name, attribute in names.items()}

        return self._with_connection(read, "reading key attributes")

    def close(self) -> None:
        """End this signer's session (the process's login to the token stays for other signers)."""
        with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None:
                _close_quietly(connection.session)

    def __enter__(self) -> Pkcs11Signer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        key = _describe(self._key_label, self._key_id)
        return (
            f"Pkcs11Signer({self._module!r}, token={self._token_label!r}, {key}, {self._algorithm.key_type})"
        )

    # -- sessions ------------------------------------------------------------------------------------

    def _where(self) -> str:
        return f"with {_describe(self._key_label, self._key_id)} on token {self._token_label!r}"

    def _connect(self) -> _Connection:
        """Open this signer's session and find the key (module lock held)."""
        for attempt in range(2):
            login = _login(self._module, self._token_label, self._pin)
            try:
                session = login.token.open()
                private = _one_object(session, ObjectClass.PRIVATE_KEY, self._key_label, self._key_id)
                break
            except p11.PKCS11Error as exc:
                _forget_login(self._module, self._token_label, login)  # stale after a reset: log in again
                if attempt:
                    raise HsmError(
                        f"opening a session on token {self._token_label!r} failed: {exc!r}"
                    ) from None
        if private is None:
            session.close()
            raise HsmKeyNotFound(
                f"no private key {self._where()}",
                module=self._module,
                token=self._token_label,
                key=_describe(self._key_label, self._key_id),
            )
        if self._require_non_extractable and (
            private[Attribute.EXTRACTABLE] or not private[Attribute.SENSITIVE]
        ):
            session.close()
            raise HsmError(
                f"the private key {self._where()} can leave the token (extractable or not sensitive)",
                code="hsm_key_extractable",
            )
        self._connection = _Connection(login, session, private)
        return self._connection

    def _read_public_key(self, connection: _Connection) -> tuple[PublicKey, SignatureAlgorithm]:
        private = connection.private
        key_id = bytes(private[Attribute.ID] or b"") or self._key_id
        label = None if key_id else (self._key_label or str(private[Attribute.LABEL]))
        public = _one_object(connection.session, ObjectClass.PUBLIC_KEY, label, key_id)
        if public is None and key_id and self._key_label:
            public = _one_object(connection.session, ObjectClass.PUBLIC_KEY, self._key_label, None)
        key = _public_key(private, public, self._where())
        return key, signature_algorithm_for(key)

    def _check_mechanism(self, connection: _Connection) -> None:
        mechanisms = connection.login.token.slot.get_mechanisms()
        if self._mechanism not in mechanisms:
            raise UnsupportedKeyError(
                f"token {self._token_label!r} does not offer CKM_{self._mechanism.name} "
                f"for the {self._algorithm.key_type} key {self._where()}"
            )

    def _with_connection(self, operation: Callable[[_Connection], _T | None], what: str) -> _T:
        """Run `operation` on the session; reopen once if the session stopped working."""
        with self._lock:
            failure: BaseException | None = None
            for _attempt in range(2):
                connection = self._connection or self._connect()
                try:
                    result = operation(connection)
                except p11.PKCS11Error as exc:
                    failure = exc
                    # a bare PKCS11Error is CKR_CRYPTOKI_NOT_INITIALIZED: the module was finalised
                    reset = isinstance(exc, _RESET_ERRORS) or type(exc) is p11.PKCS11Error
                else:
                    if result is not None:
                        return result
                    failure, reset = None, True
                self._connection = None
                if reset:  # not closed: after a reset its handle may now belong to another session
                    _forget_login(self._module, self._token_label, connection.login)
                else:
                    _close_quietly(connection.session)
            if failure is None:
                raise HsmError(f"{what} {self._where()} gave a signature that does not verify")
            raise HsmError(f"{what} {self._where()} failed: {failure!r}") from failure


def _close_quietly(session: Any) -> None:
    with contextlib.suppress(p11.PKCS11Error):
        session.close()


def open_pkcs11_signer(
    module: str | os.PathLike[str],
    token_label: str,
    pin: str,
    *,
    key_label: str | None = None,
    key_id: bytes | str | None = None,
    require_non_extractable: bool = True,
) -> Pkcs11Signer:
    """A signer over a key already on the token (see `Pkcs11Signer`)."""
    return Pkcs11Signer(
        module,
        token_label,
        pin,
        key_label=key_label,
        key_id=key_id,
        require_non_extractable=require_non_extractable,
    )


def generate_key_on_token(
    module: str | os.PathLike[str],
    token_label: str,
    pin: str,
    key_label: str,
    algorithm: KeyAlgorithm | str = DEFAULT_KEY_ALGORITHM,
    *,
    key_id: bytes | str | None = None,
) -> Pkcs11Signer:
    """Generate a key pair on the token (sinh cặp khóa trong HSM) and return its signer.

    The private key is a token object that can only sign: CKA_SENSITIVE true, CKA_EXTRACTABLE false
    (so it is never shown outside the token, not even wrapped), no decrypt/unwrap/derive. `key_id`
    defaults to 16 random bytes, set on both halves of the pair. A key with the same label refuses.
    """
    try:
        chosen = KeyAlgorithm(algorithm)
    except ValueError:
        names = ", ".join(a.value for a in KeyAlgorithm)
        raise UnsupportedKeyError(f"unknown key algorithm {algorithm!r}; use one of {names}") from None
    if not key_label:
        raise InvalidInput("the key on the token needs a label", field="key_label")
    identifier = _key_id_bytes(key_id) or os.urandom(16)
    module_path = _module_key(module)
    key_type, length, generator, public_extra = _generation(chosen)
    with _module_lock(module_path):
        login = _login(module_path, token_label, pin)
        try:
            mechanisms = login.token.slot.get_mechanisms()
            needed = (generator, _SIGN_MECHANISM[_key_type_name(chosen)])
            missing = [m.name for m in needed if m not in mechanisms]
            if missing:
                raise UnsupportedKeyError(
                    f"token {token_label!r} cannot make {chosen.value} keys: no CKM_{', CKM_'.join(missing)}",
                    field="algorithm",
                )
            session = login.token.open(rw=True)
        except p11.PKCS11Error as exc:
            _forget_login(module_path, token_label, login)
            raise HsmError(f"opening token {token_label!r} failed: {exc!r}", token=token_label) from None
        try:
            if _one_object(session, ObjectClass.PRIVATE_KEY, key_label, None) is not None:
                raise Conflict(
                    f"token {token_label!r} already holds a key labelled {key_label!r}",
                    code="hsm_key_exists",
                    token=token_label,
                    key=key_label,
                )
            session.generate_keypair(
                key_type,
                length,
                id=identifier,
                label=key_label,
                store=True,
                capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
                mechanism=generator,
                public_template={
                    Attribute.VERIFY: True,
                    Attribute.ENCRYPT: False,
                    Attribute.WRAP: False,
                    Attribute.PRIVATE: False,
                    **public_extra,
                },
                private_template={
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.SIGN: True,
                    Attribute.DECRYPT: False,
                    Attribute.UNWRAP: False,
                    Attribute.DERIVE: False,
                },
            )
        except p11.PKCS11Error as exc:
            raise HsmError(
                f"generating a {chosen.value} key on token {token_label!r} failed: {exc!r}",
                token=token_label,
            ) from None
        finally:
            _close_quietly(session)
    return Pkcs11Signer(module_path, token_label, pin, key_label=key_label, key_id=identifier)


def _key_type_name(algorithm: KeyAlgorithm) -> str:
    if algorithm is KeyAlgorithm.ED25519:
        return "ed25519"
    return "rsa" if algorithm is KeyAlgorithm.RSA_3072 else "ecdsa"


def _generation(algorithm: KeyAlgorithm) -> tuple[KeyType, int | None, Mechanism, dict[Attribute, Any]]:
    """PKCS#11 key type, length, generation mechanism and public-key attributes for an algorithm."""
    if algorithm is KeyAlgorithm.RSA_3072:
        return KeyType.RSA, 3072, Mechanism.RSA_PKCS_KEY_PAIR_GEN, {}
    if algorithm is KeyAlgorithm.ED25519:
        params = {Attribute.EC_PARAMS: _ED25519_PARAMS_DER}
        return KeyType.EC_EDWARDS, None, Mechanism.EC_EDWARDS_KEY_PAIR_GEN, params
    curve = "secp384r1" if algorithm is KeyAlgorithm.ECDSA_P384 else "secp256r1"
    params = {Attribute.EC_PARAMS: encode_named_curve_parameters(curve)}
    return KeyType.EC, None, Mechanism.EC_KEY_PAIR_GEN, params
