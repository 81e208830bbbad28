"""Metric values shared between processes: prometheus-client's multiprocess files, in a directory given here.

prometheus-client's own multiprocess mode finds its directory in `PROMETHEUS_MULTIPROC_DIR`, which the process
must have before its first metric is made, so `serve --workers N` would have to write the variable into its own
environment for the processes it starts. Instead each process hands its metrics this value class, bound to the
directory `serve` chose: the same file format (`<type>_<pid>.db`, read by `MultiProcessCollector(path=...)`), with
the directory passed as an argument.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from prometheus_client.mmap_dict import MmapedDict, mmap_key

__all__ = ["shared_value_class"]


def shared_value_class(directory: Path) -> type:
    """A value class for prometheus-client metrics whose values live in `directory` (one file per metric type and
    process), as its `MultiProcessValue` does with `PROMETHEUS_MULTIPROC_DIR`. Made by the process that uses it:
    the processes of `serve --workers N` are spawned, never forked, so no file is shared by two processes."""
    files: dict[str, MmapedDict] = {}
    lock = threading.Lock()
    pid = os.getpid()

    def file_for(prefix: str) -> MmapedDict:
        if prefix not in files:
            files[prefix] = MmapedDict(str(directory / f"{prefix}_{pid}.db"))  # type: ignore[no-untyped-call]
        return files[prefix]

    class SharedValue:
        _multiprocess = True

        def __init__(
            self,
            typ: str,
            metric_name: str,
            name: str,
            labelnames: Any,
            labelvalues: Any,
            help_text: str,
            multiprocess_mode: str = "",
            **_kwargs: Any,
        ) -> None:
            self._prefix = f"{typ}_{multiprocess_mode}" if typ == "gauge" else typ
            self._key = mmap_key(metric_name, name, labelnames, labelvalues, help_text)
            with lock:
                self._value, self._timestamp = file_for(self._prefix).read_value(self._key)  # type: ignore[no-untyped-call]

        def inc(self, amount: float) -> None:
            with lock:
                self._value += amount
                file_for(self._prefix).write_value(self._key, self._value, 0.0)  # type: ignore[no-untyped-call]

        def set(self, value: float, timestamp: float | None = None) -> None:
            with lock:
                self._value = value
                file_for(self._prefix).write_value(self._key, value, timestamp or 0.0)  # type: ignore[no-untyped-call]

        def set_exemplar(self, _exemplar: Any) -> None:
            return  # not kept in multiprocess files

        def get(self) -> float:
            with lock:
                return float(self._value)

        def get_exemplar(self) -> None:
            return None

    return SharedValue
