"""Dask workers for screening: the settings that suit its blocks, and a local cluster.

A screening block (:func:`spacerange.conjunction.screening.screen_block`) is a few seconds
of compiled, single-threaded work on ~100 MB of arrays.  Dask's defaults are made for
many small tasks and a memory-bound workload; for these blocks three of them cost time
(measured on the real catalog, 7 days, 2 local workers on 2 cores, docs/performance.md):

* ``MALLOC_TRIM_THRESHOLD_=65536``, which the nanny sets before it starts a worker, makes
  glibc hand back every freed chunk above 64 KiB, so the refinement's numpy temporaries
  are page-faulted in again on every use (refinement 7.2 -> 5.5 s CPU over 7 days);
* the statistical profiler samples the worker's stack every 10 ms, and the event loop's
  health and system monitors wake it every 20 and 500 ms: each wake-up takes a core from
  the other worker's sieve (sieve 100.9 -> 99.2 s CPU).

:data:`WORKER_CONFIG` turns these off; :func:`local_cluster` starts workers with it.  For a
cluster started by hand, put the same keys in the workers' Dask configuration (YAML) and
give each worker one thread (``dask worker --nthreads 1``): the blocks are the parallelism.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # distributed is optional (the ``dask`` extra)
    from distributed import LocalCluster

#: Dask configuration for screening workers (dotted keys, as ``dask.config.set`` takes
#: them); ``None`` unsets the nanny's ``MALLOC_TRIM_THRESHOLD_``.
WORKER_CONFIG: dict[str, object] = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}


@contextmanager
def local_cluster(n_workers: int = 2) -> Iterator[LocalCluster]:
    """A local Dask cluster of ``n_workers`` single-threaded worker processes with
    :data:`WORKER_CONFIG`, listening on 127.0.0.1 only and without a dashboard; pass its
    ``scheduler_address`` (or a ``distributed.Client`` on it) to
    :func:`~spacerange.conjunction.screening.screen` as ``scheduler``.  Closed on exit."""
    import dask
    import distributed

    # The nannies copy the configuration when they are made: it need not outlive that.
    with dask.config.set(WORKER_CONFIG):
        cluster = distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    try:
        yield cluster
    finally:
        cluster.close()
