"""The package's foundations: exports, import cost, errors, Secret, clocks, resources, retries."""

from __future__ import annotations

import asyncio
import importlib
import re
import subprocess
import sys

import pytest

import asyncconsole
import asyncconsole._errors as errors_module
from asyncconsole import (
    NO_RETRY,
    AsyncResource,
    ConfigError,
    ConfigIssue,
    FakeClock,
    HttpError,
    RetryPolicy,
    Secret,
    SystemClock,
    is_transient,
)
from asyncconsole._errors import (
    AsyncConsoleError,
    DockerError,
    DockerNotFoundError,
    InfrastructureError,
    NotFoundError,
    OperationTimeoutError,
)

BACKENDS = ("aiohttp", "aiobotocore", "botocore", "kubernetes_asyncio", "aiodocker")


def _public_packages() -> list[str]:
    import pkgutil

    found = ["asyncconsole"]
    for info in pkgutil.walk_packages(asyncconsole.__path__, "asyncconsole."):
        parts = info.name.split(".")
        if info.ispkg and not any(p.startswith("_") for p in parts):
            found.append(info.name)
    return found


PUBLIC_PACKAGES = _public_packages()


def _isort_key(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then CamelCase classes, then everything else.
    if name.isupper() and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


INFRA = ("commands", "http", "docker", "kubernetes", "ecs", "metrics")


def test_import_loads_no_backend() -> None:
    packages = ", ".join(f"asyncconsole.infra.{name}" for name in INFRA)
    code = (
        f"import sys, asyncconsole, asyncconsole.testing, {packages}\n"
        f"bad = [m for m in {BACKENDS!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
        # ...and a backend loads when first used.
        "asyncconsole.infra.http.AiohttpClient\n"
        "print('aiohttp' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["", "True"]


@pytest.mark.parametrize("package", PUBLIC_PACKAGES)
def test_all_is_sorted_and_documented(package: str) -> None:
    module = importlib.import_module(package)
    names = list(module.__all__)
    assert names == sorted(names, key=_isort_key), "__all__ must be sorted (ruff RUF022 order)"
    for name in names:
        obj = getattr(module, name)
        if callable(obj) or isinstance(obj, type):
            assert obj.__doc__, f"{package}.{name} has no docstring"


def test_unknown_attribute_raises() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = asyncconsole.nope


def test_error_tree_is_rooted() -> None:
    assert issubclass(DockerNotFoundError, DockerError)
    assert issubclass(DockerNotFoundError, NotFoundError)
    assert issubclass(DockerError, InfrastructureError)
    assert issubclass(InfrastructureError, AsyncConsoleError)
    assert issubclass(OperationTimeoutError, TimeoutError)
    err = HttpError("boom", method="GET", url="http://h/x", status=503, body_excerpt="busy")
    assert (err.method, err.url, err.status, err.body_excerpt) == ("GET", "http://h/x", 503, "busy")
    assert str(err) == "boom"


def _drawn_tree() -> list[tuple[str, str | None]]:
    """(class, drawn parent) for every class in the tree drawn in ``_errors``' docstring."""
    doc = errors_module.__doc__ or ""
    drawn: list[tuple[str, str | None]] = []
    stack: list[tuple[int, str]] = []  # (column of the name, name)
    for line in doc.splitlines():
        match = re.match(r"\s*(?:[│ ]*[├└]── )?([A-Z]\w*Error)\b", line)
        if match is None or not line.startswith("    "):
            continue
        column = match.start(1)
        while stack and stack[-1][0] >= column:
            stack.pop()
        drawn.append((match.group(1), stack[-1][1] if stack else None))
        stack.append((column, match.group(1)))
    return drawn


def test_every_error_is_exported_and_drawn_under_its_parent() -> None:
    classes = {
        name
        for name, obj in vars(errors_module).items()
        if isinstance(obj, type)
        and issubclass(obj, AsyncConsoleError)
        and obj.__module__ == errors_module.__name__
    }
    assert classes <= set(errors_module.__all__), "every error class is in _errors.__all__"
    for name in errors_module.__all__:
        assert name in asyncconsole.__all__, f"asyncconsole does not export {name}"
        assert getattr(asyncconsole, name) is getattr(errors_module, name)
    drawn = _drawn_tree()
    assert {name for name, _ in drawn} == classes, "the docstring tree names every error once"
    assert len(drawn) == len(classes)
    for name, parent in drawn:
        cls = getattr(errors_module, name)
        if parent is None:
            assert cls is AsyncConsoleError
        else:
            assert issubclass(cls, getattr(errors_module, parent)), f"{name} under {parent}"


def test_config_error_lists_every_issue() -> None:
    err = ConfigError(
        "invalid migration_services.yaml",
        [ConfigIssue("backfill.reindex_from_snapshot.ecs.cluster_name", "field required")],
    )
    assert "backfill.reindex_from_snapshot.ecs.cluster_name: field required" in str(err)
    assert err.issues[0] == ConfigIssue(
        "backfill.reindex_from_snapshot.ecs.cluster_name", "field required"
    )


def test_secret_never_shows() -> None:
    s = Secret("hunter2")
    assert "hunter2" not in repr(s)
    assert "hunter2" not in str(s)
    assert "hunter2" not in f"{s} {s!r} {[s]}"
    assert s.get() == "hunter2"
    assert s == Secret("hunter2")
    assert s != Secret("other")
    assert Secret(s.get()).get() == "hunter2"
    with pytest.raises(TypeError):
        Secret(3)  # type: ignore[arg-type]
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(s)


def test_secret_in_pydantic_model_is_masked_on_dump() -> None:
    from pydantic import BaseModel

    class M(BaseModel):
        password: Secret

    m = M(password="pw")
    assert isinstance(m.password, Secret)
    assert m.password.get() == "pw"
    assert "pw" not in m.model_dump_json()
    assert "pw" not in repr(m)


async def test_fake_clock_auto_advances() -> None:
    clock = FakeClock()
    t0, w0 = clock.monotonic(), clock.now()
    await clock.sleep(3600)
    assert clock.monotonic() - t0 == 3600
    assert (clock.now() - w0).total_seconds() == 3600
    assert clock.sleeps == [3600]


async def test_fake_clock_manual_advance_wakes_in_order() -> None:
    clock = FakeClock(auto_advance=False)
    woke: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(name)

    async with asyncio.TaskGroup() as tg:
        tg.create_task(sleeper("late", 10))
        tg.create_task(sleeper("early", 5))
        await asyncio.sleep(0)
        await clock.advance(6)
        assert woke == ["early"]
        await clock.advance(10)
    assert woke == ["early", "late"]


async def test_system_clock_is_utc() -> None:
    clock = SystemClock()
    assert clock.now().utcoffset() is not None
    before = clock.monotonic()
    await clock.sleep(0)
    assert clock.monotonic() >= before


class _Res(AsyncResource):
    def __init__(self) -> None:
        self.events: list[str] = []

    async def _open(self) -> None:
        self.events.append("open")

    async def _close(self) -> None:
        self.events.append("close")


async def test_async_resource_opens_and_closes_once() -> None:
    r = _Res()
    async with r as same:
        assert same is r
        assert not r.closed
    await r.aclose()
    assert r.events == ["open", "close"]
    assert r.closed
    with pytest.raises(RuntimeError, match="closed"):
        await r.open()


async def test_retry_policy_retries_transient_then_succeeds() -> None:
    clock = FakeClock()
    calls = 0
    retried: list[tuple[int, float]] = []

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise HttpError("busy", method="GET", url="u", status=503)
        return "ok"

    policy = RetryPolicy(attempts=5, wait_initial=1, wait_jitter=0)
    result = await policy.run(flaky, clock=clock, on_retry=lambda n, e, w: retried.append((n, w)))
    assert result == "ok"
    assert calls == 3
    assert retried == [(1, 1.0), (2, 2.0)]
    assert clock.sleeps == [1.0, 2.0]


async def test_retry_policy_does_not_retry_permanent_errors() -> None:
    calls = 0

    async def bad() -> None:
        nonlocal calls
        calls += 1
        raise HttpError("nope", method="GET", url="u", status=404)

    with pytest.raises(HttpError):
        await RetryPolicy(attempts=5).run(bad, clock=FakeClock())
    assert calls == 1


async def test_retry_policy_honours_retry_after_and_budget() -> None:
    clock = FakeClock()
    calls = 0

    async def throttled() -> None:
        nonlocal calls
        calls += 1
        err = HttpError("slow down", method="GET", url="u", status=429)
        err.retry_after = 7.0
        raise err

    policy = RetryPolicy(attempts=10, wait_initial=0.1, wait_jitter=0, timeout=20)
    with pytest.raises(HttpError):
        await policy.run(throttled, clock=clock)
    assert clock.sleeps[0] == 7.0
    assert clock.monotonic() <= 20
    assert calls < 10


async def test_no_retry_tries_once() -> None:
    calls = 0

    async def fail() -> None:
        nonlocal calls
        calls += 1
        raise ConnectionResetError

    with pytest.raises(ConnectionResetError):
        await NO_RETRY.run(fail, clock=FakeClock())
    assert calls == 1
    assert is_transient(ConnectionResetError())
    assert not is_transient(ValueError())
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
