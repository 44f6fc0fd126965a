"""Every domain error a person can meet reads in Chinese too.

The pages ask for Chinese (Accept-Language: zh-CN), so an error that carries no Chinese text shows its English
to an official on a Chinese page. The scan below reads every module of ``gongwu`` and names each place that builds
a domain error with a message but no ``message_zh=`` — ``raise NotFound(…)``, ``raise errors.PlanOutdated(…)``,
and errors built to be raised later (``return Conflict(…)``) alike — and each error class whose English
``default_message`` has no ``default_message_zh``. Which names are domain errors is not guessed from their
spelling: every ``gongwu`` module is imported, the classes are ``DomainError.__subclasses__()`` walked down, and a
name at a call is looked up in the namespace of the module it is written in.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

import gongwu
from gongwu.core.db import Database
from gongwu.core.errors import DomainError, NotFound
from gongwu.dispatch.bookings import errors as booking_errors
from tests import factories as f

ROOT = Path(gongwu.__file__).resolve().parent
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}

Resolver = Callable[[ast.expr], type[DomainError] | None]


def _modules() -> list[ModuleType]:
    """Every module of the package, imported (a ``__main__`` would run the command line, so it is left out)."""
    found = [gongwu]
    for info in pkgutil.walk_packages(gongwu.__path__, "gongwu."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            found.append(importlib.import_module(info.name))
    return found


def _subclasses(cls: type[DomainError]) -> Iterator[type[DomainError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _domain_classes() -> set[type[DomainError]]:
    _modules()
    return {DomainError, *_subclasses(DomainError)}


def _resolver(namespace: dict[str, Any], domain: set[type[DomainError]]) -> Resolver:
    """The domain error class a call's function names (``Name`` or ``module.Name``), looked up where it is
    written; a name the module does not hold at top level (imported inside a function) falls back to the names
    of the domain error classes."""
    by_name: dict[str, set[type]] = {}
    for cls in domain:
        by_name.setdefault(cls.__name__, set()).add(cls)

    def resolve(func: ast.expr) -> type[DomainError] | None:
        target: Any = None
        name: str | None = None
        if isinstance(func, ast.Name):
            name = func.id
            target = namespace.get(name)
        elif isinstance(func, ast.Attribute):
            name = func.attr
            if isinstance(func.value, ast.Name) and isinstance(namespace.get(func.value.id), ModuleType):
                target = getattr(namespace[func.value.id], name, None)
        if target is not None:
            return target if isinstance(target, type) and target in domain else None
        candidates = sorted(by_name.get(name or "", set()), key=lambda c: f"{c.__module__}.{c.__qualname__}")
        return candidates[0] if candidates else None

    return resolve


def _takes_message(cls: type[DomainError], call: ast.Call) -> bool:
    """Whether the call hands the error a message of its own (positional or ``message=``). A class with its own
    ``__init__`` and no ``message`` parameter builds its message itself (checked in ``_init_without_chinese``)."""
    if cls.__init__ is not DomainError.__init__ and "message" not in inspect.signature(cls.__init__).parameters:
        return False
    return bool(call.args) or any(k.arg == "message" for k in call.keywords)


def _has_chinese(call: ast.Call) -> bool:
    return any(
        k.arg == "message_zh" and not (isinstance(k.value, ast.Constant) and k.value.value in (None, ""))
        for k in call.keywords
    )


def scan(source: str, resolve: Resolver) -> tuple[int, list[int]]:
    """(calls building a domain error with a message, lines of those without ``message_zh=``)."""
    checked, missing = 0, []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        cls = resolve(node.func)
        if cls is None or not _takes_message(cls, node):
            continue
        checked += 1
        if not _has_chinese(node):
            missing.append(node.lineno)
    return checked, sorted(missing)


def _init_without_chinese(cls: type[DomainError]) -> bool:
    """A class that builds its message in ``__init__`` must hand ``super().__init__`` both languages."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls.__init__)))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "__init__"
            and (node.args or any(k.arg == "message" for k in node.keywords))
            and not _has_chinese(node)
        ):
            return True
    return False


# --- the scan ---------------------------------------------------------------------------------------------


def test_every_domain_error_in_gongwu_has_a_chinese_message() -> None:
    modules = {Path(m.__file__).resolve(): m for m in _modules() if m.__file__}
    domain = _domain_classes()
    ours = {c for c in domain if c.__module__.split(".")[0] == "gongwu"}
    # the walk reached the modules, not just the kernel (an import that found nothing would pass everything)
    for family in ("gongwu.dispatch.", "gongwu.routing.", "gongwu.core."):
        assert any(c.__module__.startswith(family) for c in ours), family
    checked, problems = 0, []
    for path in sorted(ROOT.rglob("*.py")):
        module = modules.get(path.resolve())
        namespace = vars(module) if module is not None else {}
        count, lines = scan(path.read_text(encoding="utf-8"), _resolver(namespace, domain))
        checked += count
        where = path.relative_to(ROOT.parent)
        problems += [f"{where}:{line}: a domain error with a message but no message_zh=" for line in lines]
    for cls in sorted(ours - {DomainError}, key=lambda c: (c.__module__, c.__name__)):
        own = vars(cls)
        if own.get("default_message") and not own.get("default_message_zh"):
            problems.append(f"{cls.__module__}.{cls.__name__}: default_message without default_message_zh")
        if "__init__" in own and _init_without_chinese(cls):
            problems.append(f"{cls.__module__}.{cls.__name__}.__init__: builds a message without message_zh")
    assert not problems, "English only:\n" + "\n".join(problems)
    assert checked >= 200, f"only {checked} raise sites found: the scan is not reading the modules"


def test_the_scan_finds_what_it_should() -> None:
    """The checker itself: it flags ``Name(…)`` and ``module.Name(…)`` with a message and no Chinese, and leaves
    alone errors without a message, with Chinese, and exceptions that are not domain errors."""
    sample = textwrap.dedent(
        """\
        def f(x):
            raise NotFound(f"No {x}.", code="x.not_found")
            raise NotFound(f"No {x}.", code="x.not_found", message_zh=f"没有 {x}。")
            raise errors.BookingRefused(message="Bad.")
            raise errors.BookingRefused()
            raise ValueError("not a domain error")
            return NotFound("Later.", message_zh=None)
            raise Unknown("not resolvable")
        """
    )
    resolve = _resolver({"NotFound": NotFound, "errors": booking_errors, "ValueError": ValueError}, _domain_classes())
    assert scan(sample, resolve) == (4, [2, 4, 7])


# --- over the API -----------------------------------------------------------------------------------------


async def _both(api: httpx.AsyncClient, method: str, url: str, headers: dict[str, str], **kw: Any) -> tuple[Any, Any]:
    """The same request without a language (an API client: English) and as the Chinese pages send it."""
    english = await api.request(method, url, headers=headers, **kw)
    chinese = await api.request(method, url, headers=headers | ZH, **kw)
    assert english.status_code == chinese.status_code, (english.text, chinese.text)
    assert english.json()["error"]["code"] == chinese.json()["error"]["code"]
    return english, chinese


def _message(response: httpx.Response) -> str:
    return str(response.json()["error"]["message"])


async def test_module_errors_answer_in_the_language_the_page_asks_for(api: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        organ = await f.unit(s, name="市发展和改革委员会")
        staff = await f.user(s, organ, "requester")
        manager = await f.user(s, organ, "fleet_manager")
        not_a_driver = await f.user(s, organ, "driver", rank="worker")
        car = await f.vehicle(s, organ)
        await s.commit()
    as_staff, as_manager = await f.login(api, staff), await f.login(api, manager)

    # a booking refused by its own rules (dispatch.bookings, a fixed text)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    booking = {
        "purpose": "赴市政府参加会议",
        "pickup": {"lat": 39.9042, "lon": 116.4074, "address": "本单位"},
        "dropoff": {"lat": 39.9139, "lon": 116.3917, "address": "市政府"},
        "earliest_pickup": start.isoformat(),
        "latest_arrival": (start - timedelta(hours=1)).isoformat(),
    }
    en, zh = await _both(api, "POST", "/api/bookings", as_staff, json=booking)
    assert en.status_code == 422 and en.json()["error"]["code"] == "dispatch.window_order"
    assert _message(en) == "The latest arrival must be after the earliest pick-up (最晚到达时间须晚于最早上车时间)."
    assert _message(zh) == "最晚到达时间须晚于最早上车时间。"

    # an unknown booking (an f-string: the number comes through in both languages)
    en, zh = await _both(api, "GET", "/api/bookings/987654", as_staff)
    assert en.status_code == 404 and en.json()["error"]["code"] == "dispatch.booking_not_found"
    assert _message(en) == "Booking 987654 not found."
    assert _message(zh) == "未找到用车申请 987654。"

    # charging: a profile for a fuel car
    en, zh = await _both(api, "PUT", f"/api/charging/vehicles/{car.id}/profile", as_manager, json={"max_ac_kw": 7})
    assert en.status_code == 422 and en.json()["error"]["code"] == "charging.not_electric"
    assert _message(en) == f"{car.plate} is not a new-energy car."
    assert _message(zh) == f"{car.plate} 不是新能源车。"

    # costs: a month that is no month
    en, zh = await _both(api, "GET", "/api/costs/evaluation", as_manager, params={"month": "2026-13"})
    assert en.status_code == 422 and en.json()["error"]["code"] == "costs.bad_month"
    assert (_message(en), _message(zh)) == ("A month is YYYY-MM.", "月份格式须为 YYYY-MM。")

    # a class's own default message (raised without a text): a driver's login with no driver record
    en, zh = await _both(api, "GET", "/api/driver/tasks", await f.login(api, not_a_driver))
    assert en.status_code == 404 and en.json()["error"]["code"] == "dispatch.not_a_driver"
    assert (_message(en), _message(zh)) == ("No driver is linked to your login.", "您的账号未关联驾驶员。")
