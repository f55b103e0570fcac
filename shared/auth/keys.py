"""Keys that sign and verify session tokens.

``SigningKeys``: registry's own Ed25519 keys, one PEM file each in a directory (the data
directory's ``keys/`` by default). The newest key signs; every key still in the directory
verifies and is published in the JWKS, so a rotation logs nobody out: tokens signed with the
previous key stay valid until they expire, and the previous key is deleted only after that.

``RemoteKeySet``: a JWKS fetched over HTTP (registry's ``/.well-known/jwks.json``, or a
company identity provider's), cached, and fetched again when a token names an unknown key.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from shared.clock import utc_now

log = logging.getLogger(__name__)

SIGNING_ALGORITHM = "EdDSA"
_KID_TIME = "%Y%m%dT%H%M%S"


class KeySource(Protocol):
    """Where a verifier finds the public key a token's header names."""

    async def key_for(self, kid: str | None) -> jwt.PyJWK | None: ...


@dataclass(frozen=True)
class _Key:
    kid: str
    created_at: datetime
    private: Ed25519PrivateKey
    public_jwk: dict[str, Any]
    verifier: jwt.PyJWK


def _created_at(kid: str) -> datetime:
    stamp = kid.removeprefix("k").split("-", 1)[0]
    return datetime.strptime(stamp, _KID_TIME).replace(tzinfo=UTC)


class SigningKeys:
    """Registry's signing keys in ``directory``; see the module docstring."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._keys: dict[str, _Key] = {}
        self._seen: tuple[float, int] | None = None

    # files -------------------------------------------------------------------------------
    def ensure(self) -> str:
        """Load the keys, creating the first one if there is none; the signing key's id."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.refresh(force=True)
        if not self._keys:
            self._write_new(utc_now())
            self.refresh(force=True)
        return self.active.kid

    def rotate(self, retire_after: timedelta, now: datetime | None = None) -> str:
        """A new signing key; keys superseded longer than ``retire_after`` ago are deleted.

        ``retire_after`` must exceed the longest token lifetime: a token signed with a key
        verifies for as long as the key stays in the directory.
        """
        now = now or utc_now()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.refresh(force=True)
        kid = self._write_new(now)
        self.refresh(force=True)
        ordered = sorted(self._keys.values(), key=lambda key: key.created_at)
        for older, newer in itertools.pairwise(ordered):
            if now - newer.created_at > retire_after:
                (self.directory / f"{older.kid}.pem").unlink(missing_ok=True)
        self.refresh(force=True)
        return kid

    def _write_new(self, now: datetime) -> str:
        kid = f"k{now.strftime(_KID_TIME)}-{secrets.token_hex(3)}"
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        path = self.directory / f"{kid}.pem"
        # O_EXCL: two registry replicas sharing the directory never overwrite a key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        return kid

    def refresh(self, force: bool = False) -> None:
        """Re-read the directory if it changed (a rotation by another process)."""
        try:
            stat = self.directory.stat()
        except FileNotFoundError:
            return
        seen = (stat.st_mtime, len(os.listdir(self.directory)))
        if not force and seen == self._seen:
            return
        keys: dict[str, _Key] = {}
        for path in sorted(self.directory.glob("k*.pem")):
            try:
                private = serialization.load_pem_private_key(path.read_bytes(), password=None)
                created = _created_at(path.stem)
            except (ValueError, TypeError, OSError):
                log.warning("skipping unreadable signing key file %s", path.name)
                continue
            if not isinstance(private, Ed25519PrivateKey):
                log.warning("skipping %s: not an Ed25519 key", path.name)
                continue
            public = json.loads(OKPAlgorithm.to_jwk(private.public_key())) | {
                "kid": path.stem, "use": "sig", "alg": SIGNING_ALGORITHM}
            keys[path.stem] = _Key(path.stem, created, private, public, jwt.PyJWK(public))
        self._keys = keys
        self._seen = seen

    # use ---------------------------------------------------------------------------------
    @property
    def active(self) -> _Key:
        if not self._keys:
            raise RuntimeError(f"no signing key in {self.directory}")
        return max(self._keys.values(), key=lambda key: key.created_at)

    def sign(self, claims: dict[str, Any]) -> str:
        self.refresh()
        key = self.active
        return jwt.encode(claims, key.private, algorithm=SIGNING_ALGORITHM,
                          headers={"kid": key.kid, "typ": "JWT"})

    def jwks(self) -> dict[str, Any]:
        self.refresh()
        return {"keys": [key.public_jwk for key in
                         sorted(self._keys.values(), key=lambda key: key.created_at)]}

    async def key_for(self, kid: str | None) -> jwt.PyJWK | None:
        if kid not in self._keys:
            self.refresh()
        key = self._keys.get(kid or "")
        return None if key is None else key.verifier


class RemoteKeySet:
    """A JWKS at ``url``: kept ``max_age_s``, fetched again for an unknown key id (a key
    just rotated in). Fetches are at least ``min_refetch_s`` apart: a request naming a key
    the issuer does not have waits for the next allowed fetch rather than flooding it."""

    def __init__(self, url: str, max_age_s: float = 300, min_refetch_s: float = 1,
                 timeout_s: float = 3, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url
        self.transport = transport
        self.max_age_s = max_age_s
        self.min_refetch_s = min_refetch_s
        self.timeout_s = timeout_s
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._tried_at: float | None = None
        self._lock = asyncio.Lock()

    def _fresh(self, kid: str | None) -> bool:
        return (self._fetched_at is not None
                and time.monotonic() - self._fetched_at <= self.max_age_s
                and (kid or "") in self._keys)

    async def key_for(self, kid: str | None) -> jwt.PyJWK | None:
        if not self._fresh(kid):
            tried = self._tried_at
            async with self._lock:
                # One fetch for everyone who was waiting: a burst of tokens naming a key the
                # issuer does not have costs one fetch, not one each.
                if not self._fresh(kid) and self._tried_at == tried:
                    await self._fetch()
        if kid is None and len(self._keys) == 1:  # an issuer with one key may omit kid
            return next(iter(self._keys.values()))
        return self._keys.get(kid or "")

    async def _fetch(self) -> None:
        if self._tried_at is not None:
            wait = self.min_refetch_s - (time.monotonic() - self._tried_at)
            if wait > 0:
                await asyncio.sleep(wait)
        self._tried_at = time.monotonic()
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s,
                                         transport=self.transport) as client:
                response = await client.get(self.url)
                response.raise_for_status()
                document = response.json()
            keys: dict[str, jwt.PyJWK] = {}
            for entry in document.get("keys", []):
                if entry.get("use", "sig") != "sig":
                    continue
                try:
                    keys[str(entry.get("kid", ""))] = jwt.PyJWK(entry)
                except jwt.PyJWTError:
                    continue  # an algorithm this verifier does not take
        except (httpx.HTTPError, ValueError, AttributeError) as error:
            log.warning("could not fetch the signing keys from %s: %s", self.url,
                        type(error).__name__)
            return
        self._keys = keys
        self._fetched_at = time.monotonic()
