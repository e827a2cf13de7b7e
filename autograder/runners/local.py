"""The grading unit on this machine: `jobs` submissions at a time, each in a thread of this
process that drives a sandboxed kernel of its own (the kernels are processes; the threads only
wait on them)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from . import Done


def run(function: Callable, items: Iterator, *, jobs: int, cancel: threading.Event,
        beside: int = 0) -> Iterator[list[Done]]:
    """Call `function(item)` for each item, `jobs` at a time, with one more item taken from
    `items` than are running (so that no thread waits for the next to be prepared); yield the
    finished ones in batches. The first `beside` items run in threads of their own, beside the
    `jobs` (the preflight: it shares the cores with the first students instead of holding up
    one of the `jobs` lanes for a whole notebook, which on a machine of `jobs` cores would leave
    a core idle at the end). Closing the generator (Ctrl-C in the consumer) sets `cancel` and
    waits for the running calls to stop."""
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="autograder")
    aside = ThreadPoolExecutor(max_workers=max(beside, 1), thread_name_prefix="autograder-beside")
    running: dict = {}
    extra: set = set()
    more = True
    try:
        for _ in range(beside):
            item = next(items, None)
            if item is None:
                more = False
                break
            future = aside.submit(function, item)
            running[future] = item
            extra.add(future)
        while more or running:
            while more and len(running) - len(extra) <= jobs:
                item = next(items, None)
                if item is None:
                    more = False
                    break
                running[pool.submit(function, item)] = item
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            batch = []
            for future in finished:
                item = running.pop(future)
                extra.discard(future)
                error = future.exception()
                batch.append(Done(item, None if error else future.result(), error))
            yield batch
    except BaseException:
        # Ctrl-C, or the consumer stopped: stop the running notebooks; their results are
        # thrown away, never half-written.
        cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        aside.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    aside.shutdown(wait=True)
