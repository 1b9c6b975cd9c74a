"""TLS in front of a local PostgreSQL: the program's migrations connect to a Supabase pooler with
sslmode=require, and the embedded PostgreSQL is built without SSL. This proxy speaks the PostgreSQL
protocol's TLS opening (the client's 8-byte SSLRequest, answered 'S', then the handshake), then relays the
decrypted bytes to the server's plain TCP port. The certificate is self-signed (`cryptography`)."""

from __future__ import annotations

import datetime
import socket
import ssl
import struct
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SSL_REQUEST_CODE = 80877103  # the PostgreSQL protocol's SSLRequest


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "server.crt", folder / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def _relay(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        for end in (source, target):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def _serve(client: socket.socket, context: ssl.SSLContext, upstream_port: int) -> None:
    try:
        length, code = struct.unpack("!ii", client.recv(8, socket.MSG_WAITALL))
        if length != 8 or code != SSL_REQUEST_CODE:
            client.close()  # sslmode=require always asks for TLS first
            return
        client.sendall(b"S")
        secure = context.wrap_socket(client, server_side=True)
        upstream = socket.create_connection(("127.0.0.1", upstream_port))
    except (OSError, struct.error):
        client.close()
        return
    threading.Thread(target=_relay, args=(secure, upstream), daemon=True).start()
    _relay(upstream, secure)


@contextmanager
def tls_proxy(upstream_port: int) -> Iterator[int]:
    """Listens on a free loopback port (yielded) and relays TLS connections to `upstream_port`."""
    with tempfile.TemporaryDirectory(prefix="pg-tls-") as folder:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self_signed(Path(folder)))
        listener = socket.create_server(("127.0.0.1", 0))
        stopping = threading.Event()

        def accept() -> None:
            while not stopping.is_set():
                try:
                    client, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=_serve, args=(client, context, upstream_port), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        try:
            yield listener.getsockname()[1]
        finally:
            stopping.set()
            listener.close()
