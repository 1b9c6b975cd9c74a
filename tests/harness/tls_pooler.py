"""A TLS-terminating stand-in for a Supabase project's session pooler, in front of the test PostgreSQL.

The project provider connects with `sslmode=require` (Supabase's pooler always offers TLS), and the
embedded PostgreSQL is built without SSL. Like the real pooler, this answers the PostgreSQL SSLRequest
with 'S', completes the TLS handshake with a self-signed certificate made here, and then relays the
session's bytes to the database unchanged (so the migrations run against a real server)."""

from __future__ import annotations

import contextlib
import datetime
import socket
import ssl
import struct
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


class TlsPooler:
    """`with TlsPooler(upstream_port) as pooler:` listens on 127.0.0.1:`pooler.port`."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._context = _server_context()
        self._stopped = threading.Event()

    def __enter__(self) -> TlsPooler:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopped.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with contextlib.ExitStack() as stack:
            stack.callback(client.close)
            while True:
                header = _read_exactly(client, 8)
                if header is None:
                    return
                _length, code = struct.unpack("!II", header)
                if code == GSSENC_REQUEST:
                    client.sendall(b"N")  # no GSSAPI here; the client goes on to ask for TLS
                    continue
                if code != SSL_REQUEST:
                    return  # a plain-text session: Supabase's pooler (and sslmode=require) would not get here
                break
            client.sendall(b"S")
            secure = self._context.wrap_socket(client, server_side=True)
            stack.callback(secure.close)
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            stack.callback(upstream.close)
            relay = threading.Thread(target=_pipe, args=(upstream, secure), daemon=True)
            relay.start()
            _pipe(secure, upstream)
            relay.join(timeout=5)


def _pipe(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            target.sendall(chunk)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


def _read_exactly(connection: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _server_context() -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="tls-pooler-"))
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context
