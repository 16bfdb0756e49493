"""The house rules for rendered Kubernetes manifests and for the services' Dockerfiles.

Each rule returns sentences a person can act on; an empty list means the input complies.
Schema validation (unknown fields, wrong types) is kubernetes-validate's job, not this module's.
"""

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

Manifest = Mapping[str, Any]

# Kinds whose pod template this policy checks, and where the pod spec sits in each.
POD_SPEC_PATHS: Mapping[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
# Jobs run to completion: probes make no sense there.
NEEDS_PROBES = frozenset({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})
RESOURCE_FIELDS = tuple((s, r) for s in ("limits", "requests") for r in ("cpu", "memory"))


def dig(data: Any, path: Iterable[str]) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def image_problem(image: str) -> str | None:
    """Why `image` does not name one fixed build, or None when it does."""
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"image {image!r} has no tag (that means `latest`)"
    tag = last.rsplit(":", 1)[1]
    if tag == "latest":
        return f"image {image!r} uses the moving tag `latest`"
    return None


def manifest_violations(manifests: Iterable[Manifest]) -> list[str]:
    """Every breach of the policy in a rendered overlay, one sentence each."""
    problems: list[str] = []
    for manifest in manifests:
        kind = str(manifest.get("kind", ""))
        name = f"{kind}/{dig(manifest, ('metadata', 'name'))}"
        if kind == "ServiceAccount" and manifest.get("automountServiceAccountToken") is not False:
            problems.append(f"{name}: automountServiceAccountToken must be false")
        if kind in POD_SPEC_PATHS:
            pod = dig(manifest, POD_SPEC_PATHS[kind]) or {}
            problems += [f"{name}: {p}" for p in pod_violations(pod, probes=kind in NEEDS_PROBES)]
    return problems


def pod_violations(pod: Mapping[str, Any], *, probes: bool) -> Iterator[str]:
    if pod.get("automountServiceAccountToken") is not False:
        yield "automountServiceAccountToken must be false (the services never call the API)"
    if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
        yield "must not share the node's network, PID or IPC namespace"
    # Pod-level security settings count through each container's effective value.
    pod_security = pod.get("securityContext") or {}
    for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
        init = container in pod.get("initContainers", [])
        where = f"container {container.get('name')}"
        needs_probes = probes and not init
        for problem in container_violations(container, pod_security, needs_probes):
            yield f"{where}: {problem}"


def container_violations(
    container: Mapping[str, Any], pod_security: Mapping[str, Any], probes: bool
) -> Iterator[str]:
    problem = image_problem(str(container.get("image", "")))
    if problem:
        yield problem
    security = container.get("securityContext") or {}

    def effective(key: str) -> Any:
        return security.get(key, pod_security.get(key))

    if effective("runAsNonRoot") is not True:
        yield "may run as root: set securityContext.runAsNonRoot: true"
    if effective("runAsUser") == 0:
        yield "runs as root (securityContext.runAsUser: 0)"
    if security.get("readOnlyRootFilesystem") is not True:
        yield "needs securityContext.readOnlyRootFilesystem: true"
    if security.get("allowPrivilegeEscalation") is not False:
        yield "needs securityContext.allowPrivilegeEscalation: false"
    if security.get("privileged"):
        yield "must not be privileged"
    if "ALL" not in (dig(security, ("capabilities", "drop")) or []):
        yield "must drop all capabilities (securityContext.capabilities.drop: [ALL])"
    seccomp = security.get("seccompProfile") or pod_security.get("seccompProfile") or {}
    if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
        yield "needs seccompProfile.type RuntimeDefault"
    resources = container.get("resources") or {}
    for section, resource in RESOURCE_FIELDS:
        if not dig(resources, (section, resource)):
            yield f"has no {resource} {section[:-1]} (resources.{section}.{resource})"
    if probes:
        for probe in ("livenessProbe", "readinessProbe"):
            if not container.get(probe):
                yield f"has no {probe}"


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        statement = (pending + line).strip()
        pending = ""
        if statement:
            keyword, _, arguments = statement.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def _resolve(value: str, args: Mapping[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), value)


def dockerfile_violations(text: str, targets: Sequence[str] = ()) -> list[str]:
    """Breaches of the image rules: pinned bases, lock-file installs, a non-root numeric user
    and a health check in each target image, no baked-in secrets, an exec-form entry point.

    `targets` are the stages images are built from (`docker build --target`); by default the
    last one. A target inherits what the stages it is built `FROM` set.
    """
    problems: list[str] = []
    args: dict[str, str] = {}
    # Per stage: its parent stage (or None for an image) and its instructions.
    stages: dict[str, tuple[str | None, list[tuple[str, str]]]] = {}
    current: list[tuple[str, str]] = []
    last = ""
    uv_syncs = 0
    for keyword, arguments in dockerfile_instructions(text):
        if keyword == "ARG" and "=" in arguments:
            key, _, default = arguments.partition("=")
            args[key.strip()] = default.strip().strip("\"'")
        if keyword == "FROM":
            words = _resolve(arguments, args).split()
            image = next(w for w in words if not w.startswith("--"))
            if image not in stages:
                problem = image_problem(image)
                if problem:
                    problems.append(f"base {problem}")
                elif "@sha256:" not in image and not re.search(r":\d+\.\d+\.\d+", image):
                    problems.append(f"base image {image!r} needs an exact x.y.z tag or a digest")
            current = []
            last = words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else f"#{len(stages)}"
            stages[last] = (image if image in stages else None, current)
        current.append((keyword, arguments))
        if keyword == "RUN" and re.search(r"\buv sync\b", arguments):
            uv_syncs += 1
            if "--locked" not in arguments:
                problems.append(f"`{arguments}` must install from uv.lock: add --locked")
        secret = re.search(r"(SECRET|PASSWORD|TOKEN|API_KEY)\w*=", arguments)
        if keyword in ("ENV", "ARG") and secret:
            problems.append(f"{keyword} {arguments.split('=')[0]} bakes a secret into the image")
    if uv_syncs == 0:
        problems.append("nothing is installed with `uv sync --locked`, so not from uv.lock")
    for target in targets or ([last] if last else []):
        if target not in stages:
            problems.append(f"no stage {target!r} to build the {target} image from")
            continue
        prefix = f"{target}: " if targets else ""
        problems += [prefix + p for p in _image_problems(_inherited(stages, target))]
    return problems


def _inherited(
    stages: Mapping[str, tuple[str | None, list[tuple[str, str]]]], target: str
) -> list[tuple[str, str]]:
    """The instructions that shape `target`'s image: its own after its parents' stages'."""
    parent, own = stages[target]
    return (_inherited(stages, parent) if parent else []) + own


def _image_problems(instructions: list[tuple[str, str]]) -> list[str]:
    problems = []
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    if not users:
        problems.append("the final stage has no USER: it would run as root")
    else:
        user = users[-1].split(":")[0]
        if not user.isdigit():
            problems.append(f"USER {users[-1]} must be numeric so runAsNonRoot can verify it")
        elif int(user) == 0:
            problems.append("the final stage runs as root (USER 0)")
    if not any(keyword == "HEALTHCHECK" for keyword, _ in instructions):
        problems.append("the final stage has no HEALTHCHECK")
    entrypoints = [a for k, a in instructions if k in ("ENTRYPOINT", "CMD")]
    if not entrypoints or not _is_exec_form(entrypoints[-1]):
        problems.append("ENTRYPOINT must be exec form ([...]) so the service gets SIGTERM as PID 1")
    return problems


def _is_exec_form(arguments: str) -> bool:
    try:
        parsed = json.loads(arguments)
    except json.JSONDecodeError:
        return False
    return isinstance(parsed, list) and bool(parsed) and all(isinstance(w, str) for w in parsed)
