"""The pinned requirements.txt that buildpacks install: generated from pyproject.toml, hashed, in step with it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.txt"
COMPILE_COMMAND = (
    "pip-compile --allow-unsafe --generate-hashes --no-emit-find-links --no-emit-index-url "
    "--output-file=requirements.txt --strip-extras pyproject.toml"
)
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(text) for text in project["dependencies"]]


def _entries() -> dict[str, tuple[str, list[str]]]:
    """name -> (pinned version, hashes), from the backslash-continued entries of requirements.txt."""
    text = REQUIREMENTS.read_text(encoding="utf-8").replace("\\\n", " ")
    found = {}
    for line in text.splitlines():
        match = _PIN.match(line)
        if match:
            found[canonicalize_name(match[1])] = (match[2], re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
    return found


def test_requirements_record_the_command_that_made_them():
    assert COMPILE_COMMAND in REQUIREMENTS.read_text(encoding="utf-8")


def test_every_declared_dependency_is_pinned_within_its_declared_range():
    entries = _entries()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in entries, f"{requirement.name} is declared in pyproject.toml but not pinned in requirements.txt"
        version, _ = entries[name]
        assert SpecifierSet(str(requirement.specifier)).contains(version), (requirement, version)


def test_every_pin_is_exact_and_hashed_so_pip_installs_with_require_hashes():
    entries = _entries()
    assert entries
    for name, (version, hashes) in entries.items():
        assert hashes, f"{name}=={version} has no hash"
    lines = [line for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines() if line and line[0].isalnum()]
    assert all(_PIN.match(line) for line in lines), "every requirement is an exact == pin"


def test_no_machine_specific_index_is_recorded():
    text = REQUIREMENTS.read_text(encoding="utf-8")
    assert "--index-url" not in text and "--find-links" not in text and "file://" not in text


def test_the_buildpacks_read_a_python_version_the_project_supports():
    version = (ROOT / ".python-version").read_text(encoding="utf-8").strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert re.fullmatch(r"3\.\d+", version), "major.minor only, so the platform installs security releases"
    assert SpecifierSet(project["requires-python"]).contains(version + ".0")
