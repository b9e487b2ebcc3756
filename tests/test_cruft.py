"""A project made with cruft takes a later change of the template with `cruft update`.

Everything is local: the template is a copy of this working tree in a git repository of
its own, git may use only local paths, and HTTP goes to a closed port.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .baking import TEMPLATE

CRUFT = [sys.executable, "-m", "cruft"]
NOT_TEMPLATE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"
)
LATER_LINE = "A line the template gained after the project was made."


def run(
    *args: str, cwd: Path, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(args)} exited {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        )
    return result


def commit_all(repo: Path, message: str, env: dict[str, str]) -> None:
    run("git", "add", "--all", cwd=repo, env=env)
    run("git", "commit", "--quiet", "--no-verify", "-m", message, cwd=repo, env=env)


def test_cruft_update_brings_a_template_change(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    closed = "http://127.0.0.1:9"
    env = {
        **os.environ,
        # No user configuration of git or Cookiecutter, no replay files outside tmp_path.
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Template Tests",
        "GIT_AUTHOR_EMAIL": "tests@example.com",
        "GIT_COMMITTER_NAME": "Template Tests",
        "GIT_COMMITTER_EMAIL": "tests@example.com",
        # No network: git may clone local paths only, and HTTP(S) leads nowhere.
        "GIT_ALLOW_PROTOCOL": "file",
        "GIT_TERMINAL_PROMPT": "0",
        "http_proxy": closed,
        "https_proxy": closed,
        "HTTP_PROXY": closed,
        "HTTPS_PROXY": closed,
    }
    env.pop("COOKIECUTTER_CONFIG", None)
    for variable in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(variable, None)

    template = tmp_path / "template"
    shutil.copytree(TEMPLATE, template, ignore=NOT_TEMPLATE)
    run("git", "init", "--quiet", "--initial-branch=main", cwd=template, env=env)
    commit_all(template, "Template", env)

    out = tmp_path / "out"
    run(
        *CRUFT, "create", str(template), "--no-input", "--output-dir", str(out),
        "--extra-context", json.dumps({"project_name": "Kept Current"}),
        cwd=tmp_path, env=env,
    )  # fmt: skip
    project = out / "kept-current"
    cruft_state = json.loads((project / ".cruft.json").read_text())
    assert cruft_state["template"] == str(template)
    assert LATER_LINE not in (project / "README.md").read_text()
    run("git", "init", "--quiet", "--initial-branch=main", cwd=project, env=env)
    commit_all(project, "Generated", env)
    run(*CRUFT, "check", cwd=project, env=env)

    readme = template / "{{cookiecutter.project_slug}}" / "README.md"
    readme.write_text(readme.read_text() + f"\n{LATER_LINE}\n")
    commit_all(template, "Say more in the README", env)
    template_head = run("git", "rev-parse", "HEAD", cwd=template, env=env).stdout.strip()

    assert run(*CRUFT, "check", cwd=project, env=env, check=False).returncode != 0
    run(*CRUFT, "update", "--skip-apply-ask", cwd=project, env=env)

    assert (project / "README.md").read_text().endswith(f"\n{LATER_LINE}\n")
    assert json.loads((project / ".cruft.json").read_text())["commit"] == template_head
    run(*CRUFT, "check", cwd=project, env=env)
    # The update touched the README and the cruft state, nothing else.
    changed = run("git", "status", "--porcelain", cwd=project, env=env).stdout.split("\n")
    assert sorted(line[3:] for line in changed if line) == [".cruft.json", "README.md"]
