"""Running calls at the same moment on PostgreSQL, with proof that they overlapped.

Threads released together on a barrier can still run one after the other, and a race
test would then pass without any race. ``race`` proves the overlap: each thread stops
right after its first statement matching ``gate`` (by default the first row lock it
takes) and stays inside its transaction until the test has seen the other thread
inside its own transaction at the same time: either it too stopped at its gate, or
PostgreSQL shows its connection waiting for a lock (``pg_stat_activity``). Only then
are both let go. Run one after the other, the first thread would wait at its gate for
a second thread that never comes, and the test fails with "never overlapped".
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from django.db import connection

# Generous for a busy machine; a race that overlaps is seen within milliseconds.
OVERLAP_DEADLINE_SECONDS = 20
POLL_SECONDS = 0.005


@dataclass
class Race:
    results: list
    # Per thread: "gate" (held its first lock while the other was inside its
    # transaction) or "waited" (PostgreSQL showed it waiting for the other's lock).
    seen: list = field(default_factory=list)
    # The index of the thread that passed its gate first, if any.
    first: int | None = None


class NeverOverlapped(AssertionError):
    pass


def _waiting_for_a_lock(pids: list[int]) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid = ANY(%s)",
            [pids],
        )
        return {row[0] for row in cursor.fetchall()}


def race(*calls, gate: str = r"\bFOR UPDATE\b", first: int | None = None) -> Race:
    """Run ``calls`` in threads released at the same instant and prove they overlapped.
    Each result is the call's return value or the exception it raised.

    With ``first``, that call is made to pass its gate first: the others start only
    once it holds its gate (so both orders of a pair can be tried on purpose)."""
    count = len(calls)
    pattern = re.compile(gate)
    start = threading.Barrier(count)
    release = threading.Event()
    first_at_gate = threading.Event()
    lock = threading.Lock()
    pids: list[int | None] = [None] * count
    at_gate: list[bool] = [False] * count
    order: list[int] = []
    results: list = [None] * count

    def run(index, call):
        passed = False

        def hold_at_gate(execute, sql, params, many, context):
            nonlocal passed
            outcome = execute(sql, params, many, context)
            if not passed and pattern.search(sql):
                passed = True
                with lock:
                    at_gate[index] = True
                    order.append(index)
                if index == first:
                    first_at_gate.set()
                release.wait(OVERLAP_DEADLINE_SECONDS * 2)
            return outcome

        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pids[index] = cursor.fetchone()[0]
            start.wait(timeout=OVERLAP_DEADLINE_SECONDS)
            if first is not None and index != first:
                first_at_gate.wait(OVERLAP_DEADLINE_SECONDS)
            with connection.execute_wrapper(hold_at_gate):
                results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the assertions look at it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    seen: list[str] = []
    deadline = time.monotonic() + OVERLAP_DEADLINE_SECONDS
    try:
        while time.monotonic() < deadline and not seen:
            with lock:
                gates = list(at_gate)
            if all(gates):
                seen = ["gate"] * count
            elif any(gates) and None not in pids:
                waiting = _waiting_for_a_lock([p for p in pids if p is not None])
                if waiting and all(g or pids[i] in waiting for i, g in enumerate(gates)):
                    seen = ["gate" if g else "waited" for g in gates]
            if not seen and not any(t.is_alive() for t in threads):
                break
            time.sleep(POLL_SECONDS)
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=OVERLAP_DEADLINE_SECONDS * 3)
    if not seen:
        raise NeverOverlapped(f"the {count} calls never overlapped; they gave {results}")
    return Race(results=results, seen=seen, first=order[0] if order else None)
