"""The container files agree with each other and with the Procfile, and the image's
install step works; the image itself is built only where a Docker engine answers.

The Dockerfile is read with Docker's own parser (the `dockerfile` package wraps
BuildKit's); docker-compose.yml is read as YAML (merge keys resolved).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import dockerfile
import pytest
import yaml

import bot

ROOT = Path(bot.__file__).resolve().parents[1]  # the repository
ENTRY = ["python", "-m", "bot"]


@pytest.fixture(scope="module")
def instructions() -> list:
    return list(dockerfile.parse_file(str(ROOT / "Dockerfile")))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {name: command.split() for name, command in (line.split(": ", 1) for line in lines if line.strip())}


def _cmds(instructions, cmd: str) -> list:
    return [i for i in instructions if i.cmd == cmd]


def test_the_image_is_slim_python_that_the_package_supports(instructions):
    (base,) = _cmds(instructions, "FROM")
    match = re.fullmatch(r"python:(3\.\d+)-slim", base.value[0])
    assert match, base.value
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert tuple(map(int, match[1].split("."))) >= tuple(map(int, requires.removeprefix(">=").split(".")))


def test_the_package_is_installed_and_runs_as_a_user_that_is_not_root(instructions):
    runs = [i.value[0] for i in _cmds(instructions, "RUN")]
    assert any(re.search(r"\bpip install \.(\s|$)", run) for run in runs)
    users = _cmds(instructions, "USER")
    assert users and users[-1].value[0] not in ("root", "0")
    assert any("useradd" in run and users[-1].value[0] in run for run in runs)  # the user exists
    install_line = next(i.start_line for i in _cmds(instructions, "RUN") if "pip install" in i.value[0])
    assert users[-1].start_line > install_line  # root only while installing
    (entry,) = _cmds(instructions, "ENTRYPOINT")
    assert entry.json and list(entry.value) == ENTRY
    exposed = [v for i in _cmds(instructions, "EXPOSE") for v in i.value]
    env = {k: v for i in _cmds(instructions, "ENV") for k, v in zip(i.value[::2], i.value[1::2], strict=True)}
    assert exposed == [env["PORT"]] == ["3000"]


def test_the_context_leaves_secrets_and_local_state_out(instructions):
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".env", ".venv", "data", ".git"} <= ignored
    copied = [src for i in _cmds(instructions, "COPY") for src in i.value[:-1]]
    assert set(copied) == {"pyproject.toml", "README.md", "bot"}  # README: pyproject's `readme`
    assert all((ROOT / src).exists() for src in copied)


def test_an_install_from_exactly_what_the_image_copies_migrates_and_runs(instructions, tmp_path):
    """What `pip install .` does in the image, rehearsed here: install from the
    copied files only (not the repository), then use it from an empty folder."""
    context = tmp_path / "context"
    context.mkdir()
    for i in _cmds(instructions, "COPY"):
        for src in i.value[:-1]:
            (shutil.copytree if (ROOT / src).is_dir() else shutil.copy)(ROOT / src, context / src)
    site = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                              "--target", str(site), str(context)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.update(PYTHONPATH=str(site), DATABASE_URL=f"sqlite:///{tmp_path}/image.sqlite3")
    work = tmp_path / "work"
    work.mkdir()

    def bot(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot", *args], cwd=work, env=env, capture_output=True,
                              text=True, timeout=120)

    where = subprocess.run([sys.executable, "-c", "import bot; print(bot.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True)
    assert where.stdout.startswith(str(site))  # the installed copy, not the repository
    assert bot("db", "upgrade").stdout.strip() == "Database is at head."  # the migrations shipped
    assert "socket_mode_enabled" in bot("manifest", "--socket", "--format", "json").stdout
    doctor = bot("doctor", "--quick")
    assert doctor.returncode == 0 and "at the newest migration" in doctor.stdout


def test_compose_runs_the_procfiles_processes_from_this_image(compose):
    services = compose["services"]
    for name, argv in procfile().items():
        assert argv[:3] == ENTRY, argv
        assert services[name]["command"] == argv[3:], name
        assert services[name]["build"] == "." and services[name]["image"] == "pm-bot:latest"
    assert services["socket"]["command"] == ["run", "--socket"] and services["socket"]["profiles"] == ["socket"]


def test_compose_migrates_once_before_the_web_and_the_worker_start(compose):
    services = compose["services"]
    assert services["release"]["restart"] == "no"
    assert services["release"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("web", "worker", "socket"):
        assert services[name]["depends_on"] == {"release": {"condition": "service_completed_successfully"}}
        assert services[name]["restart"] == "unless-stopped"


def test_compose_points_every_process_at_its_postgresql(compose):
    services = compose["services"]
    db = services["db"]
    assert db["image"].startswith("postgres:") and "pg_isready" in " ".join(db["healthcheck"]["test"])
    user, database = db["environment"]["POSTGRES_USER"], db["environment"]["POSTGRES_DB"]
    for name in ("release", "web", "worker", "socket"):
        url = services[name]["environment"]["DATABASE_URL"]
        assert re.fullmatch(rf"postgresql://{user}:\$\{{POSTGRES_PASSWORD:-[^}}]+\}}@db:5432/{database}", url), url
        assert services[name]["env_file"] == ".env"  # Slack's secrets, never in the image
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"] and "pgdata" in compose["volumes"]


def test_compose_checks_the_web_process_on_its_healthz(compose):
    web = compose["services"]["web"]
    port = web["environment"]["PORT"]
    assert web["ports"] == [f"${{PORT:-3000}}:{port}"]
    assert f"http://127.0.0.1:{port}/healthz" in " ".join(web["healthcheck"]["test"])


def _docker_engine() -> str | None:
    """None when an engine answers, else why not."""
    if shutil.which("docker") is None:
        return "no docker client on this machine"
    info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    if info.returncode != 0:
        reason = (info.stderr.strip().splitlines() or ["docker info failed"])[-1]
        return f"no Docker engine reachable ({reason})"
    return None


@pytest.mark.slow
def test_the_image_builds_and_runs_as_a_non_root_user():
    reason = _docker_engine()
    if reason:
        pytest.skip(f"cannot build the image here: {reason}; `make docker` builds it where an engine runs")
    built = subprocess.run(["docker", "build", "-t", "pm-bot:test", str(ROOT)], capture_output=True, text=True,
                           timeout=1800)
    assert built.returncode == 0, built.stderr[-3000:]
    uid = subprocess.run(["docker", "run", "--rm", "--entrypoint", "id", "pm-bot:test", "-u"],
                         capture_output=True, text=True)
    assert uid.stdout.strip() not in ("", "0")
    manifest = subprocess.run(["docker", "run", "--rm", "pm-bot:test", "manifest", "--socket"],
                              capture_output=True, text=True)
    assert manifest.returncode == 0 and "socket_mode_enabled: true" in manifest.stdout
