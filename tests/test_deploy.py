"""The shipped deployment files, read as an operator's tools would read them: the container image (Dockerfile), its
pinned packages (deploy/requirements.txt), the compose file and nginx's site (deploy/). There is no container
runtime here, so these checks read the files; tests/ui/test_public_demo_ui.py runs the same processes and nginx."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.serving import nginx_binary, site_config  # noqa: E402

DOCKERFILE = (ROOT / "Dockerfile").read_text()
LOCK = ROOT / "deploy" / "requirements.txt"
COMPOSE = ROOT / "deploy" / "compose.yaml"
SITE = ROOT / "deploy" / "nginx.conf"


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+-]+)", line)
        assert match, f"deploy/requirements.txt: {line!r} is not pinned as name==version"
        pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def _final_stage(text: str) -> list[str]:
    """The instructions of the Dockerfile's last stage, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    lines = [ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    last_from = max(i for i, ln in enumerate(lines) if ln.upper().startswith("FROM "))
    return lines[last_from:]


def test_every_dependency_of_the_project_is_pinned_and_satisfied():
    pins = _pins()
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in deps:
        req = Requirement(dep)
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{req.name} (a dependency in pyproject.toml) is not pinned in deploy/requirements.txt"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req.name}=={pins[name]} does not satisfy {dep}"


def test_the_image_has_no_test_or_heavy_optional_packages():
    pins = _pins()
    for tool in ("pytest", "playwright", "pennylane", "torch", "hypothesis", "pip", "setuptools", "wheel"):
        assert tool not in pins, f"{tool} must not be in the image"
    stage = _final_stage(DOCKERFILE)
    assert any("pip uninstall -y pip setuptools wheel" in ln for ln in stage), "the final image keeps pip"
    assert not any(re.search(r"\b(pip|apt-get) install\b", ln) for ln in stage), "the final stage installs things"


def test_the_final_image_runs_unprivileged_with_compiled_kernels_and_a_health_check():
    stage = _final_stage(DOCKERFILE)
    base = stage[0].split()[1]
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base), f"the base image is not pinned to a release: {base}"
    users = [i for i, ln in enumerate(stage) if ln.upper().startswith("USER ")]
    assert users and stage[users[-1]].split()[1] not in ("root", "0"), "the image runs as root"
    warmup = [i for i, ln in enumerate(stage) if ln.startswith("RUN") and "playground warmup" in ln]
    assert warmup and warmup[0] > users[-1], "the kernels are not compiled (as the user who runs the server)"
    health = [ln for ln in stage if ln.upper().startswith("HEALTHCHECK")]
    assert health and "/liveness" in health[0]
    cmd = [ln for ln in stage if ln.upper().startswith("CMD ")][-1]
    assert '"playground", "serve"' in cmd and "0.0.0.0" in cmd


def test_compose_runs_the_image_twice_behind_nginx_with_one_secret():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    apps = sorted(name for name in services if name.startswith("playground-"))
    assert len(apps) >= 2
    for name in apps:
        svc = services[name]
        assert svc["build"] == ".." and svc["image"] == "reuploading-playground"
        assert "--behind-proxy" in svc["command"]
        assert "BOKEH_SECRET_KEY" in svc["environment"] and ":?" in svc["environment"]["BOKEH_SECRET_KEY"], (
            "every process must get the one shared secret key, and compose must refuse to start without it")
    nginx = services["nginx"]
    assert re.fullmatch(r"nginx:\d+\.\d+\.\d+(-alpine)?", nginx["image"])
    assert any(v.startswith("./nginx.conf:") for v in nginx["volumes"])
    upstream = re.findall(r"^\s*server (playground-\d+):5006\b", SITE.read_text(), flags=re.M)
    assert sorted(upstream) == apps, "deploy/nginx.conf and compose.yaml name different processes"


def test_the_nginx_site_is_sticky_and_passes_websockets():
    text = SITE.read_text()
    assert re.search(r"^\s*hash \$playground_route;", text, flags=re.M)
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "proxy_set_header Connection $connection_upgrade;" in text
    assert re.search(r"add_header Set-Cookie \$playground_route_cookie always;", text)
    rendered = site_config(8123, [9001, 9002, 9003])
    assert "listen 127.0.0.1:8123;" in rendered
    assert rendered.count("server 127.0.0.1:") == 3 and "playground-1" not in rendered


def test_nginx_accepts_the_site(tmp_path):
    binary = nginx_binary()
    if binary is None:
        pytest.fail("nginx is not installed (apt-get install nginx); scripts/run_tests.sh installs it")
    (tmp_path / "site.conf").write_text(site_config(8123, [9001, 9002]))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n")
    result = subprocess.run([binary, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                             "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
