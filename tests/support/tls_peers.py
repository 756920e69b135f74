"""Chains checked by the TLS libraries the mesh runs on, over 127.0.0.1.

- OpenSSL: `openssl verify -x509_strict` (the binary, when the machine has it) and mutual-TLS
  handshakes through Python's `ssl` module, both sides verifying the other's chain against their own
  trusted roots and then checking the peer's SPIFFE ID exactly, as Envoy's `match_subject_alt_names` and
  Istio's authorization principals do.
- BoringSSL, the library of Envoy, through grpcio (which bundles it): a gRPC server that requires a
  client certificate verifies the presented chain against the given roots and answers with the
  SPIFFE ID it saw. grpc's Python client cannot skip its DNS host-name check (Envoy makes none), so a
  workload whose certificate carries only a URI (istiod's) is verified by BoringSSL as the presenting
  side of the connection; where the server's certificate has a DNS name (the bridge's), both sides
  verify each other in one BoringSSL handshake.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import grpc
from cryptography import x509
from cryptography.x509.oid import NameOID

from components.mesh import certificate_specs as specs
from tests.support.real_pki import WORKLOAD_KEY, Peer, key_of

OPENSSL_PURPOSES = ("sslserver", "sslclient")
PROBE_NAME = "verifier.probe.test"
_TIMEOUT = 10


@dataclass(frozen=True)
class Outcome:
    """What each side of a handshake saw of the other: its URI SANs, or why the handshake failed."""

    client_saw: tuple[str, ...] = ()
    server_saw: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def mesh_accepts(outcome: Outcome, client: Peer, server: Peer) -> bool:
    """The handshake succeeded and each side saw exactly the identity it expects of the other."""
    return (
        outcome.ok and outcome.client_saw == (server.spiffe_id,) and outcome.server_saw == (client.spiffe_id,)
    )


@contextmanager
def _files(*contents: str) -> Iterator[list[Path]]:
    with tempfile.TemporaryDirectory() as directory:
        paths = []
        for index, content in enumerate(contents):
            path = Path(directory) / f"{index}.pem"
            path.write_text(content)
            paths.append(path)
        yield paths


# --- OpenSSL ---------------------------------------------------------------------------------------


def openssl_verify(peer: Peer, bundle_pem: str, purpose: str) -> str:
    """`openssl verify -x509_strict` of the peer's leaf, its chain as untrusted intermediates; the
    binary's last line ("...: OK" or the error)."""
    certs = x509.load_pem_x509_certificates(peer.chain_pem.encode())
    leaf = specs.certificate_pem(certs[0])
    untrusted = "".join(specs.certificate_pem(c) for c in certs[1:]) or leaf
    with _files(leaf, untrusted, bundle_pem) as (leaf_file, untrusted_file, bundle_file):
        result = subprocess.run(
            [
                "openssl",
                "verify",
                "-x509_strict",
                "-purpose",
                purpose,
                "-CAfile",
                str(bundle_file),
                "-untrusted",
                str(untrusted_file),
                str(leaf_file),
            ],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    lines = (result.stdout + result.stderr).strip().splitlines()
    return "OK" if result.returncode == 0 else next((line for line in lines if "error" in line), lines[-1])


def _context(side: int, peer: Peer, paths: list[Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(side)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(paths[0], paths[1])
    context.load_verify_locations(cadata=peer.bundle_pem)
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = False
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    return context


def _uris(peer_cert: dict[str, Any] | None) -> tuple[str, ...]:
    names: tuple[tuple[str, str], ...] = (peer_cert or {}).get("subjectAltName", ())
    return tuple(value for kind, value in names if kind == "URI")


def openssl_handshake(client: Peer, server: Peer) -> Outcome:
    """A mutual-TLS handshake over loopback, both sides in OpenSSL (Python's ssl)."""
    with _files(client.chain_pem, client.key_pem, server.chain_pem, server.key_pem) as paths:
        client_context = _context(ssl.PROTOCOL_TLS_CLIENT, client, paths[:2])
        server_context = _context(ssl.PROTOCOL_TLS_SERVER, server, paths[2:])
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    seen: dict[str, object] = {}

    def serve() -> None:
        connection, _ = listener.accept()
        connection.settimeout(_TIMEOUT)
        try:
            with server_context.wrap_socket(connection, server_side=True) as tls:
                seen["server"] = _uris(tls.getpeercert())
                tls.sendall(b"ok")
        except (ssl.SSLError, OSError) as error:
            seen["server_error"] = str(error)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=_TIMEOUT) as raw,
            client_context.wrap_socket(raw) as tls,
        ):
            client_saw = _uris(tls.getpeercert())
            tls.recv(2)
    except (ssl.SSLError, OSError) as error:
        thread.join(_TIMEOUT)
        return Outcome(error=str(seen.get("server_error") or error))
    finally:
        listener.close()
    thread.join(_TIMEOUT)
    if "server_error" in seen:
        return Outcome(error=str(seen["server_error"]))
    server_saw = seen.get("server", ())
    return Outcome(client_saw=client_saw, server_saw=tuple(server_saw))  # type: ignore[arg-type]


# --- BoringSSL (grpcio) ----------------------------------------------------------------------------


class _Echo(grpc.GenericRpcHandler):  # type: ignore[misc]
    """Answers with the URI SANs of the certificate the client presented."""

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        def peer_identity(_: bytes, context: grpc.ServicerContext) -> bytes:
            names = context.auth_context().get("x509_subject_alternative_name", [])
            return b"\n".join(name for name in names if b"://" in name)

        return grpc.unary_unary_rpc_method_handler(peer_identity)


@cache
def _probe() -> tuple[str, str]:
    """A throwaway server identity (outside the mesh) the verifying server presents to the client."""
    key = key_of("boringssl probe", WORKLOAD_KEY)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "probe")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(PROBE_NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, specs.signing_digest(key))
    )
    return specs.certificate_pem(cert), specs.private_key_pem(key)


def _call(
    server_chain: str, server_key: str, server_roots: str, client: Peer, client_roots: str, name: str
) -> Outcome:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    server.add_generic_rpc_handlers([_Echo()])
    credentials = grpc.ssl_server_credentials(
        [(server_key.encode(), server_chain.encode())],
        root_certificates=server_roots.encode(),
        require_client_auth=True,
    )
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    try:
        channel_credentials = grpc.ssl_channel_credentials(
            client_roots.encode(), client.key_pem.encode(), client.chain_pem.encode()
        )
        with grpc.secure_channel(
            f"127.0.0.1:{port}", channel_credentials, options=[("grpc.ssl_target_name_override", name)]
        ) as channel:
            answer = channel.unary_unary("/crossmesh.Probe/PeerIdentity")(b"", timeout=_TIMEOUT)
    except grpc.RpcError as error:
        return Outcome(error=str(error.details()))
    finally:
        server.stop(None)
    return Outcome(server_saw=tuple(answer.decode().split("\n")) if answer else ())


def boringssl_verifies(presenter: Peer, roots_pem: str) -> Outcome:
    """BoringSSL verifies presenter's chain against roots_pem (as the TLS server it talks to)."""
    probe_cert, probe_key = _probe()
    return _call(probe_cert, probe_key, roots_pem, presenter, probe_cert, PROBE_NAME)


def boringssl_handshake(client: Peer, server: Peer) -> Outcome:
    """A mutual-TLS handshake in BoringSSL on both sides. The server reports the client's SPIFFE ID;
    the client, being grpc's, checks the server's DNS name rather than its URI."""
    assert server.dns_name, "grpc's client checks a DNS name: give the server one"
    return _call(
        server.chain_pem, server.key_pem, server.bundle_pem, client, client.bundle_pem, server.dns_name
    )
