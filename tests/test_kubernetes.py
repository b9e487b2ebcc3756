"""The generated Kubernetes manifests (`deploy/kubernetes/`, PostgreSQL projects only).

Nothing is applied here (no cluster): each manifest is validated, strictly, against the
Kubernetes API's JSON schemas that kubernetes-validate bundles (offline), and checked
against the rest of the project: the probes call routes that exist, the ports, user and
command are the image's, nothing runs as root, the grace period covers the app's own
shutdown, and the pods' connections fit PostgreSQL's default max_connections.
"""

import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .baking import Project, combinations
from .test_shipping import (
    dockerfile_env,
    dockerfile_port,
    image_name,
    load,
    passes,
    routes,
    runtime,
    settings_default,
    tool,
)

MANIFESTS = Path("deploy/kubernetes")
# The oldest Kubernetes release the manifests are checked against, and the newest
# kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.30.0", None)
MAX_CONNECTIONS = 100  # PostgreSQL's default
RESERVED_CONNECTIONS = 10  # superuser_reserved_connections (3), psql, monitoring, migrations


def manifests(baked: Project) -> dict[str, dict[str, Any]]:
    """`Kind/name` -> resource, for every resource the kustomization lists."""
    kustomization = load(baked, str(MANIFESTS / "kustomization.yaml"))
    found = {}
    for relative in kustomization["resources"]:
        for resource in yaml.safe_load_all((baked.path / MANIFESTS / relative).read_text()):
            found[f"{resource['kind']}/{resource['metadata']['name']}"] = resource
    return found


def of_kind(baked: Project, kind: str) -> list[dict[str, Any]]:
    return [resource for key, resource in manifests(baked).items() if key.startswith(kind + "/")]


def deployment(baked: Project) -> dict[str, Any]:
    (found,) = of_kind(baked, "Deployment")
    return found


def app_container(baked: Project) -> dict[str, Any]:
    (container,) = deployment(baked)["spec"]["template"]["spec"]["containers"]
    return container


def config(baked: Project) -> dict[str, str]:
    (configmap,) = of_kind(baked, "ConfigMap")
    data: dict[str, str] = configmap["data"]
    return data


def setting(baked: Project, name: str) -> float:
    """A setting as the pods get it: from the ConfigMap, else the Settings default."""
    value = config(baked).get(name.upper())
    return float(value if value is not None else settings_default(baked, name))


def pod_specs(baked: Project) -> list[dict[str, Any]]:
    return [
        resource["spec"]["template"]["spec"]
        for resource in manifests(baked).values()
        if resource["kind"] in {"Deployment", "Job"}
    ]


POSTGRESQL = pytest.mark.parametrize("baked", combinations(database="postgresql"), indirect=True)


@pytest.mark.parametrize("baked", combinations(database="sqlite"), indirect=True)
def test_sqlite_projects_have_no_manifests_and_say_why(baked: Project) -> None:
    readme = " ".join((baked.path / "README.md").read_text().split())

    assert not (baked.path / "deploy").exists()
    assert "kubernetes" not in (baked.path / ".gitignore").read_text().lower()
    assert "one process on one machine" in readme


@POSTGRESQL
def test_every_manifest_matches_the_kubernetes_schemas(baked: Project) -> None:
    folder = baked.path / MANIFESTS
    kustomization = load(baked, str(MANIFESTS / "kustomization.yaml"))
    files = [folder / relative for relative in kustomization["resources"]]
    listed = {path.name for path in files} | {"kustomization.yaml"}

    # Every file is in the kustomization, which lists only files that exist.
    assert {path.name for path in folder.glob("*.yaml")} == listed
    assert all(path.is_file() for path in files)
    validate = tool("kubernetes-validate")
    for version in KUBERNETES_VERSIONS:
        pinned = ["--kubernetes-version", version] if version else []
        passes(validate, "--strict", "--quiet", *pinned, *files)
    expected = {"ConfigMap", "Deployment", "Service", "PodDisruptionBudget"}
    expected |= {"HorizontalPodAutoscaler"}
    if baked.combination.use_alembic:
        expected.add("Job")
    assert {resource["kind"] for resource in manifests(baked).values()} == expected


@POSTGRESQL
def test_probes_call_the_app_s_health_routes_on_its_port(baked: Project) -> None:
    container = app_container(baked)
    (port,) = container["ports"]
    (healthcheck,) = runtime(baked)["HEALTHCHECK"]
    declared = routes(baked)

    assert port["containerPort"] == dockerfile_port(baked)
    probes = {name: container[name]["httpGet"] for name in ("startupProbe", "livenessProbe")}
    probes["readinessProbe"] = container["readinessProbe"]["httpGet"]
    for probe in probes.values():
        assert f"GET {probe['path']}" in declared
        assert probe["port"] in {port["name"], port["containerPort"]}
    # Liveness never touches the database (a database outage must not restart every pod),
    # as the image's HEALTHCHECK; readiness does.
    assert probes["livenessProbe"]["path"] in healthcheck
    assert probes["startupProbe"]["path"] == probes["livenessProbe"]["path"]
    assert probes["readinessProbe"]["path"] == "/health/ready"
    # A probe gives up after the app's own readiness time limit (2 s), not before.
    assert container["readinessProbe"]["timeoutSeconds"] > 2


@POSTGRESQL
def test_the_pods_run_the_image_s_command_as_its_user(baked: Project) -> None:
    final = runtime(baked)
    (user,) = final["USER"]
    uid, _, gid = user.partition(":")
    images = {image_name(app_container(baked)["image"])}
    kustomization = load(baked, str(MANIFESTS / "kustomization.yaml"))
    compose_app = load(baked, "compose.yaml")["services"]["app"]

    assert "command" not in app_container(baked)  # the image's CMD
    assert "args" not in app_container(baked)
    for spec in pod_specs(baked):
        assert spec["securityContext"]["runAsUser"] == int(uid)
        assert spec["securityContext"]["runAsGroup"] == int(gid)
        for container in spec["containers"]:
            images.add(image_name(container["image"]))
    # One image: the one compose builds and CI tags, which kustomize renames for a registry.
    assert images == {image_name(compose_app["image"])}
    assert [entry["name"] for entry in kustomization["images"]] == [compose_app["image"]]
    for job in of_kind(baked, "Job"):
        (container,) = job["spec"]["template"]["spec"]["containers"]
        migrate = load(baked, "compose.yaml")["services"]["migrate"]
        assert container["command"] == migrate["command"] == ["alembic", "upgrade", "head"]


@POSTGRESQL
def test_nothing_runs_as_root_or_writes_outside_tmp(baked: Project) -> None:
    for spec in pod_specs(baked):
        assert spec["automountServiceAccountToken"] is False
        pod_context = spec["securityContext"]
        assert pod_context["runAsNonRoot"] is True
        assert pod_context["runAsUser"] != 0
        assert pod_context["seccompProfile"]["type"] == "RuntimeDefault"
        volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
        for container in spec["containers"] + spec.get("initContainers", []):
            context = container["securityContext"]
            assert context.get("runAsUser", pod_context["runAsUser"]) != 0
            assert context.get("runAsNonRoot", True) is True
            assert context.get("privileged", False) is False
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True
            assert context["capabilities"] == {"drop": ["ALL"]}
            # Writable: /tmp only, a fresh emptyDir (temporary files, the metrics directory).
            mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            assert set(mounts) == {"/tmp"}
            assert "emptyDir" in volumes[mounts["/tmp"]]
            requests, limits = container["resources"]["requests"], container["resources"]["limits"]
            assert set(requests) == set(limits) == {"cpu", "memory"}


@POSTGRESQL
def test_replicas_are_spread_budgeted_and_scaled(baked: Project) -> None:
    spec = deployment(baked)["spec"]
    pods = spec["template"]["metadata"]["labels"]
    (service,) = of_kind(baked, "Service")
    (budget,) = of_kind(baked, "PodDisruptionBudget")
    (autoscaler,) = of_kind(baked, "HorizontalPodAutoscaler")

    assert spec["replicas"] >= 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert spec["selector"]["matchLabels"].items() <= pods.items()
    assert service["spec"]["selector"].items() <= pods.items()
    assert budget["spec"]["selector"]["matchLabels"].items() <= pods.items()
    assert budget["spec"].get("maxUnavailable", 1) < spec["replicas"]
    (service_port,) = service["spec"]["ports"]
    assert service_port["targetPort"] in {port["name"] for port in app_container(baked)["ports"]}
    target = autoscaler["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == (
        "Deployment",
        deployment(baked)["metadata"]["name"],
    )
    assert autoscaler["spec"]["minReplicas"] >= 2


def cpus(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


@POSTGRESQL
def test_the_grace_period_covers_the_app_s_shutdown(baked: Project) -> None:
    spec = deployment(baked)["spec"]["template"]["spec"]
    pre_stop = app_container(baked)["lifecycle"]["preStop"]["exec"]["command"]

    assert pre_stop[0] == "sleep"  # the image (python:*-slim) has coreutils' sleep
    drain = setting(baked, "shutdown_drain_seconds")
    grace = setting(baked, "shutdown_grace_seconds")
    # preStop, then SIGTERM: the drain, the in-flight requests' grace, the pool's closing.
    assert spec["terminationGracePeriodSeconds"] >= float(pre_stop[1]) + drain + grace + 2


@POSTGRESQL
def test_the_pods_connections_fit_postgresql(baked: Project) -> None:
    """Each pod runs one worker per CPU of its limit (workers.py reads the cgroup quota);
    each worker keeps its own pool. At the autoscaler's maximum, during a rollout, all of
    them still fit PostgreSQL's default max_connections."""
    spec = deployment(baked)["spec"]
    (autoscaler,) = of_kind(baked, "HorizontalPodAutoscaler")
    container = app_container(baked)

    workers = max(1, math.floor(cpus(container["resources"]["limits"]["cpu"])))
    assert "WEB_CONCURRENCY" not in config(baked)
    assert "WEB_CONCURRENCY" not in dockerfile_env(baked)
    pods = autoscaler["spec"]["maxReplicas"] + spec["strategy"]["rollingUpdate"]["maxSurge"]
    pool = setting(baked, "database_pool_size")
    pool += setting(baked, "database_max_overflow")
    assert pods * workers * pool <= MAX_CONNECTIONS - RESERVED_CONNECTIONS


@POSTGRESQL
def test_configuration_comes_from_a_configmap_and_the_url_from_a_secret(
    baked: Project,
) -> None:
    folder = baked.path / MANIFESTS
    kustomization = load(baked, str(MANIFESTS / "kustomization.yaml"))
    (generator,) = kustomization["secretGenerator"]
    (env_file,) = generator["envs"]
    example = (folder / f"{env_file}.example").read_text()
    names = set(re.findall(r"^([A-Z_]+)=", (baked.path / ".env.example").read_text(), re.M))
    sources = app_container(baked)["envFrom"]

    assert set(config(baked)) <= names - {"DATABASE_URL"}
    assert {"configMapRef": {"name": of_kind(baked, "ConfigMap")[0]["metadata"]["name"]}} in sources
    assert {"secretRef": {"name": generator["name"]}} in sources
    assert "env" not in app_container(baked)  # no literal values beside them
    # The Secret's source is never committed; its example holds a placeholder, not a password.
    assert not (folder / env_file).exists()
    gitignore = (baked.path / ".gitignore").read_text().splitlines()
    assert str(MANIFESTS / env_file) in gitignore
    assert set(re.findall(r"^([A-Z_]+)=", example, re.M)) == {"DATABASE_URL"}
    assert ":CHANGE_ME@" in example
    # No password, nor a URL that could carry one, in any manifest.
    for path in folder.glob("*.yaml"):
        text = path.read_text()
        assert "postgresql+asyncpg://" not in text, path
        assert not re.search(r"(?i)password\s*:", text), path
