"""``run`` and ``worker``: the parts of the engine in one process, stopped gracefully.

One process (the embedded SQLite mode, and the main process on PostgreSQL) runs:

* the web app (webhook receivers, ``/healthz``, ``/metrics``) under uvicorn;
* a queue :class:`~shopify_odoo.queue.Worker` running the engine's job handler;
* the background loops the engine provides (Odoo poller, order poller, reconcile sweeps), each
  an ``async def loop(stop: asyncio.Event)`` that returns soon after ``stop`` is set.

On PostgreSQL ``run --workers N`` also starts N ``shopify-odoo worker`` processes (queue only;
they share the queue through ``FOR UPDATE SKIP LOCKED`` and wake up on NOTIFY).  SQLite has one
writer: its concurrency is the worker's ``concurrency`` inside the one process.

Stopping (SIGTERM or SIGINT, or ``stop`` set by the caller): the receiver stops accepting and
finishes the requests in flight, the worker stops leasing, lets running jobs finish within the
grace period and **releases** the rest (pending again at once, the attempt not counted), the
loops end, the worker processes get SIGTERM and are waited for.  Nothing is left leased.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field

import uvicorn

from shopify_odoo.errors import ConfigError
from shopify_odoo.queue import DeadLetterHook, Handler, Worker, WorkerStats
from shopify_odoo.store.database import Database

log = logging.getLogger(__name__)

#: a background loop of the engine: runs until ``stop`` is set
Loop = Callable[[asyncio.Event], Awaitable[None]]


@dataclass(frozen=True)
class EngineParts:
    """What the engine contributes to a process: the job handler and its background loops."""

    handler: Handler
    loops: Sequence[tuple[str, Loop]] = ()
    #: awaited once everything has stopped (close clients, flush batchers)
    close: Callable[[], Awaitable[None]] | None = None
    #: jobs the reaper moved to the dead letters (their worker died on the last attempt)
    on_dead: DeadLetterHook | None = None


@dataclass
class RunOptions:
    serve_http: bool = True
    host: str = "127.0.0.1"
    port: int = 8080
    concurrency: int = 8
    grace: float = 30.0
    #: extra ``shopify-odoo worker`` processes (PostgreSQL only)
    worker_processes: int = 0
    #: command line that starts one worker process (default: ``shopify-odoo worker``)
    worker_command: Sequence[str] = ()
    loops: bool = True
    poll_interval: float = 5.0


@dataclass
class RunReport:
    worker: WorkerStats = field(default_factory=WorkerStats)
    port: int | None = None
    worker_exit_codes: list[int] = field(default_factory=list)


def install_stop_signals(stop: asyncio.Event) -> Callable[[], None]:
    """SIGTERM and SIGINT set ``stop``; returns a function that restores the defaults."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)

    def restore() -> None:
        for sig in installed:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)

    return restore


def check_worker_processes(db: Database, count: int) -> None:
    if count > 0 and db.backend != "postgresql":
        raise ConfigError(
            f"--workers {count}: extra worker processes need PostgreSQL (SQLite has a single "
            'writer); set database_url to a "postgresql://…" URL, or raise --concurrency instead'
        )


async def run_process(
    db: Database,
    parts: EngineParts,
    options: RunOptions,
    stop: asyncio.Event,
    *,
    app: object | None = None,
    on_ready: Callable[[RunReport], None] | None = None,
) -> RunReport:
    """Run receiver (when ``app`` is given), worker and loops until ``stop`` is set."""
    check_worker_processes(db, options.worker_processes)
    report = RunReport()
    worker = Worker(
        db,
        parts.handler,
        on_dead=parts.on_dead,
        concurrency=options.concurrency,
        grace=options.grace,
        poll_interval=options.poll_interval,
    )
    tasks: dict[str, asyncio.Task[None]] = {"worker": asyncio.create_task(worker.run())}
    server = None
    if app is not None and options.serve_http:
        server, serve_task, report.port = await _start_server(app, options)
        tasks["receiver"] = serve_task
    if options.loops:
        for name, loop in parts.loops:
            tasks[name] = asyncio.create_task(_guarded(name, loop, stop), name=name)
    children = await _spawn_workers(options)
    if on_ready is not None:
        on_ready(report)
    log.info(
        "running: %s",
        ", ".join(sorted(tasks)) + (f" + {len(children)} worker process(es)" if children else ""),
        extra={"action": "run"},
    )
    # a part that ends by itself (a crash) stops the others too
    stop_wait = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait(
            {stop_wait, *tasks.values()}, return_when=asyncio.FIRST_COMPLETED
        )
    except asyncio.CancelledError:
        # cancelled by the caller: still give every lease back before going (the worker's
        # shutdown releases them when cancelled, cutting the grace period short)
        stop.set()
        stop_wait.cancel()
        if server is not None:
            server.should_exit = True
        for part in tasks.values():
            part.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        await _stop_children(children, 0.0)
        raise
    crashed = [t for t in done if t is not stop_wait and t.done() and t.exception() is not None]
    stop.set()
    stop_wait.cancel()
    log.info("stopping: releasing leases, finishing requests", extra={"action": "stop"})
    if server is not None:
        server.should_exit = True
    await worker.stop(options.grace)
    report.worker = worker.stats
    report.worker_exit_codes = await _stop_children(children, options.grace)
    results = await asyncio.gather(*tasks.values(), return_exceptions=True)
    if parts.close is not None:
        await parts.close()
    for task in crashed:
        exc = task.exception()
        assert exc is not None
        raise exc
    for name, result in zip(tasks, results, strict=True):
        if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
            log.error("%s ended with %r", name, result, extra={"action": "stop"})
    return report


async def _guarded(name: str, loop: Loop, stop: asyncio.Event) -> None:
    """Run one background loop; an unexpected error is logged and the loop restarted."""
    delay = 1.0
    while not stop.is_set():
        try:
            await loop(stop)
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; restarting in %.0fs", name, delay, extra={"action": name})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 60.0)


async def _start_server(
    app: object, options: RunOptions
) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host=options.host,
        port=options.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(), name="receiver")
    while not server.started:
        if task.done():
            task.result()
            raise ConfigError(
                f"the receiver could not listen on {options.host}:{options.port}: choose "
                "another sync.receiver_port or stop the process using it"
            )
        await asyncio.sleep(0.01)
    port = int(server.servers[0].sockets[0].getsockname()[1])
    return server, task, port


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: SIGTERM belongs to :func:`run_process`, which
    stops the receiver *and* releases the worker's leases (uvicorn would re-raise the signal
    after its shutdown and end the process before that)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _spawn_workers(options: RunOptions) -> list[asyncio.subprocess.Process]:
    command = list(options.worker_command) or [
        sys.executable,
        "-c",
        "from shopify_odoo.cli.app import main; main()",
        "worker",
    ]
    children = []
    for _ in range(options.worker_processes):
        children.append(await asyncio.create_subprocess_exec(*command, env=dict(os.environ)))
    return children


async def _stop_children(children: list[asyncio.subprocess.Process], grace: float) -> list[int]:
    for child in children:
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
    codes = []
    for child in children:
        try:
            codes.append(await asyncio.wait_for(child.wait(), grace + 10))
        except TimeoutError:
            child.kill()
            codes.append(await child.wait())
    return codes
