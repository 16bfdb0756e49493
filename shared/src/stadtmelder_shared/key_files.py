"""Development keys in a file under var/, created once and shared by every process reading it."""

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def ensure_p256_key_pem(path: Path) -> bytes:
    """The PEM of the P-256 private key at `path`, created first if there is none yet (only the
    owner reads it)."""
    if not path.exists():
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and linked into place: a reader never sees half a key, and when two
        # processes race (reports and notify start together), the first key stays for both.
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as file:
            file.write(pem)
        try:
            os.chmod(file.name, 0o600)
            os.link(file.name, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(file.name)
    return path.read_bytes()
