"""The operators' CustomResourceDefinitions that the server-side dry run installs, pinned.

Each comes from a package registry: Go module archives (through `go mod download`, which checks
them against the Go checksum database) or a Maven Central artifact (through `mvn`). Every file
is pinned by its sha256 besides its version, and the set is kept under var/tools, named by the
hash of this list, so a warm run reads it from disk.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "var" / "tools" / "crds"


@dataclass(frozen=True)
class Source:
    """Files inside one released package: a Go module `path@version` or Maven coordinates."""

    operator: str
    registry: str  # "go" or "maven"
    package: str
    files: tuple[tuple[str, str], ...]  # (path inside the package, sha256)


KEDA = "config/crd/bases/keda.sh_"
PROMETHEUS = "example/prometheus-operator-crd/monitoring.coreos.com_"
GATEWAY = "config/crd/standard/gateway.networking.k8s.io_"
ESO = "config/crds/bases/external-secrets.io_"

SOURCES = (
    # Strimzi publishes its CRDs (the kafka.strimzi.io/v1 ones that Strimzi 1.0 keeps) in the
    # tests jar of its API module; no Go module carries them.
    Source(
        "Strimzi",
        "maven",
        "io.strimzi:api:0.51.0:jar:tests",
        (
            (
                "crds/v1/040-Crd-kafka.yaml",
                "356613b27b1b33f8cfbdd3b20cc188e03a120f6d548dee9cad3cbc429e4324f2",
            ),
            (
                "crds/v1/043-Crd-kafkatopic.yaml",
                "36390f0731c699448076d4ee739e8b7f331d083e91a7fb71500aaa830ab1127e",
            ),
            (
                "crds/v1/044-Crd-kafkauser.yaml",
                "6f278324169ae433ea7a01c535c7db130d5ec42e64389188c4a20504c5f37467",
            ),
            (
                "crds/v1/045-Crd-kafkanodepool.yaml",
                "8e5fb2ff83f71ae7aa9ad97b200828bed8fcca6ae56d28fdbea3fc09870f5c57",
            ),
        ),
    ),
    # v2.21.1 needs a newer Go than the one this project builds with.
    Source(
        "KEDA",
        "go",
        "github.com/kedacore/keda/v2@v2.21.0",
        (
            (
                f"{KEDA}scaledobjects.yaml",
                "af35555862a83933b074af14ad439c4b4ceabaf4daa3e9338e9b23e36d308d80",
            ),
            (
                f"{KEDA}triggerauthentications.yaml",
                "ed59ab37b2fa9a18119484a3dbd849b0b18ed25e1aea91d9f1305d4da2215bd8",
            ),
            (
                f"{KEDA}clustertriggerauthentications.yaml",
                "c4db10d06b619cb5cde185c96cbb5d86b95702e86a0862a2d904f936a4191510",
            ),
        ),
    ),
    Source(
        "Prometheus operator",
        "go",
        "github.com/prometheus-operator/prometheus-operator@v0.85.0",
        (
            (
                f"{PROMETHEUS}servicemonitors.yaml",
                "1dae27b7189b5ce7b9ab764656c18b4c75a45cde1e6f3af6a5e84c4317628919",
            ),
            (
                f"{PROMETHEUS}podmonitors.yaml",
                "8ce88c52c51209993511cae093089c9525f5552def88119e3f559123ee9d454b",
            ),
            (
                f"{PROMETHEUS}prometheusrules.yaml",
                "98fd16c9ab79fba8dcd6ef62c957c98cd6546ab74ce0a4ecf09ddf2fda03020e",
            ),
        ),
    ),
    Source(
        "Gateway API (standard channel)",
        "go",
        "sigs.k8s.io/gateway-api@v1.6.3",
        (
            (
                f"{GATEWAY}gatewayclasses.yaml",
                "d32070cb6930273a07c5ca183135712b1918cc140c6d9b6cef441cdf0e562345",
            ),
            (
                f"{GATEWAY}gateways.yaml",
                "905c89d8fefaab9088bf9d0a8d47ebd7ec4e653a914d4bfaa575a7716f07a828",
            ),
            (
                f"{GATEWAY}httproutes.yaml",
                "a89d17ff5ed060fa0eac015524f9252bb291f616412c13ac8cb952ed9c25c5ad",
            ),
            (
                f"{GATEWAY}referencegrants.yaml",
                "ff8db85aaacc91fb4096975afb5782540572bf2f04842a258094cd7f50c7f38a",
            ),
        ),
    ),
    Source(
        "External Secrets Operator",
        "go",
        "github.com/external-secrets/external-secrets@v1.3.2",
        (
            (
                f"{ESO}externalsecrets.yaml",
                "690dbc0d51b5f9bc5266b450b533cfd22c5273268e8569102e528a39519cd4ba",
            ),
            (
                f"{ESO}secretstores.yaml",
                "ef1fc349941cea1d56b87f8c31cf05a9fed85b7c000a60e69c6b2b29a13fa648",
            ),
            (
                f"{ESO}clustersecretstores.yaml",
                "5f2b3425b831546b3d051ece29caf1eb1010d961d7a00640e0c0a6aceac5ffef",
            ),
        ),
    ),
    # The controller-gen output the cert-manager Helm chart wraps: the same schemas.
    Source(
        "cert-manager",
        "go",
        "github.com/cert-manager/cert-manager@v1.21.2",
        (
            (
                "deploy/crds/cert-manager.io_certificates.yaml",
                "7ad91029c00ec959d54215b19d3b1a9b7e0247eaa60f987151c2b70d8661f8af",
            ),
            (
                "deploy/crds/cert-manager.io_issuers.yaml",
                "05e37efb02777e0362d24269fa103c2fc11419f9c85e31854ef873e5d9e5c5cc",
            ),
            (
                "deploy/crds/cert-manager.io_clusterissuers.yaml",
                "30008001b78aafb8e110af61359561104b5fafc3a4dc6ac0013245d0ee3fe4ca",
            ),
        ),
    ),
    # MongoDB Controllers for Kubernetes took over this CRD (mongodbcommunity.mongodb.com/v1)
    # from the archived Community Operator; only the latter's module is on the proxy.
    Source(
        "MongoDB Community (MongoDBCommunity)",
        "go",
        "github.com/mongodb/mongodb-kubernetes-operator@v0.9.0",
        (
            (
                "config/crd/bases/mongodbcommunity.mongodb.com_mongodbcommunity.yaml",
                "f5cc2f9eaed70175126b83d1f317cc65df7f73b25245dfe141dc2e45504a2f94",
            ),
        ),
    ),
)


class CrdSourceError(Exception):
    """A pinned CRD could not be fetched, or its content differs from its pin."""


def pins_key(sources: tuple[Source, ...] = SOURCES) -> str:
    text = json.dumps([(s.registry, s.package, s.files) for s in sources])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def ensure(sources: tuple[Source, ...] = SOURCES, cache: Path = CACHE) -> list[Path]:
    """The pinned CRD files, fetched and checked on first use, in the order listed."""
    directory = cache / pins_key(sources)
    names = [f"{i:02d}-{Path(path).name}" for i, (path, _) in enumerate(all_files(sources))]
    if not all((directory / name).exists() for name in names):
        print("k8s-dry-run: fetching the pinned CRDs from the package registries ...", flush=True)
        partial = directory.with_name(directory.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        contents = [content for source in sources for content in fetch(source).values()]
        for name, content in zip(names, contents, strict=True):
            (partial / name).write_bytes(content)
        shutil.rmtree(directory, ignore_errors=True)
        os.replace(partial, directory)
    return [directory / name for name in names]


def all_files(sources: tuple[Source, ...]) -> list[tuple[str, str]]:
    return [file for source in sources for file in source.files]


def fetch(source: Source) -> dict[str, bytes]:
    """The source's files by path, each checked against its pinned sha256."""
    read = read_go_module if source.registry == "go" else read_maven_jar
    contents = read(source.package, [path for path, _ in source.files])
    for path, pinned in source.files:
        actual = hashlib.sha256(contents[path]).hexdigest()
        if actual != pinned:
            raise CrdSourceError(
                f"{source.package} {path}: sha256 {actual}, pinned {pinned}; a changed release "
                "is never installed unnoticed: check it, then update the pin in crd_sources.py"
            )
    return contents


def read_go_module(package: str, paths: list[str]) -> dict[str, bytes]:
    go = shutil.which("go")
    if go is None:
        raise CrdSourceError(f"fetching {package} needs Go on the PATH")
    result = subprocess.run(
        [go, "mod", "download", "-json", package],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        # Outside any module: the download needs none, and a go.work must not change it.
        cwd=tempfile.gettempdir(),
        env={**os.environ, "GOFLAGS": "-mod=mod", "GOWORK": "off"},
    )
    answer = json.loads(result.stdout or "{}")
    if result.returncode != 0 or "Dir" not in answer:
        raise CrdSourceError(f"go mod download {package}: {answer.get('Error') or result.stderr}")
    return {path: (Path(answer["Dir"]) / path).read_bytes() for path in paths}


def read_maven_jar(coordinates: str, paths: list[str]) -> dict[str, bytes]:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise CrdSourceError(f"fetching {coordinates} needs Maven (e.g. apt install maven)")
    with tempfile.TemporaryDirectory() as scratch:
        command = [mvn, "-B", "-q", "-Dstyle.color=never", "dependency:copy"]
        command += [f"-Dartifact={coordinates}", f"-DoutputDirectory={scratch}"]
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
        )
        jars = list(Path(scratch).glob("*.jar"))
        if result.returncode != 0 or len(jars) != 1:
            raise CrdSourceError(f"mvn dependency:copy {coordinates} failed:\n{result.stdout}")
        with zipfile.ZipFile(jars[0]) as jar:
            return {path: jar.read(path) for path in paths}
