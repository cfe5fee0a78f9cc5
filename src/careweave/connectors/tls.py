"""TLS contexts for careweave's listeners (MLLP, HTTP; optionally mutual) and its MLLP client.

Both are built from PEM files and checked when they are built, so that a wrong path, an
unreadable file or a key that does not match its certificate stops ``careweave check`` and
``careweave run`` with one :class:`~careweave.exceptions.ConfigError` naming the file, instead of
failing on the first connection. No cryptography is written here: the standard library's
:mod:`ssl` (OpenSSL) does the work, with its secure defaults (TLS 1.2 at least).
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Annotated

import msgspec

from careweave.exceptions import ConfigError


class ListenerTls(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """TLS of an HTTP listener (the API, a channel's HTTP source): PEM files, relative to the
    settings file; with ``client_ca``, clients must present a certificate it signed (mutual TLS)."""

    cert: Annotated[str, msgspec.Meta(min_length=1)]
    key: Annotated[str, msgspec.Meta(min_length=1)]
    client_ca: str = ""


class ListenerFiles(msgspec.Struct, frozen=True):
    """A listener's TLS files, resolved and checked."""

    cert: Path
    key: Path
    client_ca: Path | None


def listener_files(tls: ListenerTls, settings_dir: Path | None) -> ListenerFiles:
    """The files of ``tls`` resolved against the settings file's folder, checked by building the
    context they make (ConfigError naming the file that cannot be used)."""
    base = settings_dir or Path()
    files = ListenerFiles(
        cert=base / tls.cert,
        key=base / tls.key,
        client_ca=base / tls.client_ca if tls.client_ca else None,
    )
    server_context(files.cert, files.key, files.client_ca)
    return files


def server_context(cert: Path, key: Path, client_ca: Path | None = None) -> ssl.SSLContext:
    """A listener's context: its certificate chain and key; with ``client_ca``, mutual TLS.

    With ``client_ca``, a peer must present a certificate signed by one of the CAs in that file
    (``ssl.CERT_REQUIRED``); a peer without one fails the handshake.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_chain(context, cert, key)
    if client_ca is not None:
        _load_ca(context, client_ca, "client_ca")
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(
    ca: Path | None = None, cert: Path | None = None, key: Path | None = None
) -> ssl.SSLContext:
    """A sender's context: the CA its peer's certificate must chain to (the system's when None),
    and its own certificate and key for a peer that requires mutual TLS.

    The peer's certificate must name the host connected to (an IP address in its subject
    alternative names when connecting by address).
    """
    if (cert is None) != (key is None):
        raise ConfigError("TLS: a client certificate needs its key, and a key its certificate")
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca is not None:
        _load_ca(context, ca, "ca")
    if cert is not None and key is not None:
        _load_chain(context, cert, key)
    return context


def _readable(path: Path, what: str) -> None:
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise ConfigError(f"TLS {what} {path}: cannot read it: {exc.strerror}") from None


def _load_chain(context: ssl.SSLContext, cert: Path, key: Path) -> None:
    _readable(cert, "cert")
    _readable(key, "key")
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        # OpenSSL's reason (a PEM that is not one, a key that does not match the certificate).
        raise ConfigError(
            f"TLS cert {cert} with key {key}: not a usable certificate and key ({exc.reason})"
        ) from None


def _load_ca(context: ssl.SSLContext, ca: Path, what: str) -> None:
    _readable(ca, what)
    try:
        context.load_verify_locations(cafile=ca)
    except ssl.SSLError as exc:
        raise ConfigError(f"TLS {what} {ca}: not a PEM CA certificate ({exc.reason})") from None
