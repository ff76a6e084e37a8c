"""Developer sessions, run in the current environment (`python -m pip install -U pip`, then
`pip install -e . --group dev`: the pip a fresh virtualenv ships does not know --group).

`scripts/test-all.sh` installs the peers and the environment, then runs the CI sessions.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "typecheck", "tests", "examples", "docs"]


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on package, tests, examples and benchmarks."""
    session.run("mypy")


@nox.session
def tests(session: nox.Session) -> None:
    """Unit and integration tests on every core (pytest's "no tests" exit 5 fails the session)."""
    session.run(
        "pytest",
        "--numprocesses=auto",
        "--maxprocesses=4",
        "--durations=25",  # the slowest tests, in CI's log: the suite must stay under 15 min
        *session.posargs,
        success_codes=[0],
    )


@nox.session
def coverage(session: nox.Session) -> None:
    """The tests with line and branch coverage (not in CI's run: it slows the suite by a third)."""
    session.run(
        "pytest",
        "--numprocesses=auto",
        "--maxprocesses=4",
        "--cov=asyncconsole",
        "--cov-report=term",
        "--cov-report=xml",
        *session.posargs,
        success_codes=[0],
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark; each prints asyncconsole vs its baseline and the ratio."""
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def examples(session: nox.Session) -> None:
    """Run every example script (and the notebook, once it exists)."""
    session.run("python", "-m", "examples", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation strictly (mkdocs), once docs/ has a mkdocs.yml."""
    import pathlib

    if pathlib.Path("mkdocs.yml").exists():
        session.run("mkdocs", "build", "--strict")
    else:
        session.log("mkdocs.yml not yet present; nothing to build")
