"""System metrics: CPU, memory, disk, network and GPUs sampled into a run while it runs.

``start_run(log_system_metrics=True)``, ``enable_system_metrics_logging()`` or the environment
variable ``RUNLOG_SYSTEM_METRICS=1`` (the editor sets it for the runs it launches) start one daemon
thread per run that every ``RUNLOG_SYSTEM_METRICS_INTERVAL`` seconds (10 by default) logs one point
of each metric below, at steps 0, 1, 2, … — and a last one when the run ends. The names are
MLflow's (``system/cpu_utilization_percentage``, ``system/gpu_0_memory_usage_megabytes``, …), so
runs line up with MLflow's.

On Linux everything comes from ``/proc``, ``/sys`` and ``os``; elsewhere the process's CPU, the
store's disk usage and the GPUs. GPUs are read from ``nvidia-smi`` when it is on the PATH. Standard
library only. The sampler never raises: a reading that fails is left out (said once on stderr), and
the thread stops with the run.
"""

import os
import shutil
import subprocess
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._journal import warn

ENABLE_VARIABLE = "RUNLOG_SYSTEM_METRICS"
INTERVAL_VARIABLE = "RUNLOG_SYSTEM_METRICS_INTERVAL"
DEFAULT_INTERVAL = 10.0
MIN_INTERVAL = 0.05
PREFIX = "system/"
# A last sample at the end of the run, unless the previous one is this recent.
MIN_FINAL_GAP = 0.5
NVIDIA_SMI_TIMEOUT = 5.0
_MB = 1e6  # MLflow's megabytes: bytes / 10**6
_MIB = 1048576
GPU_QUERY = "index,utilization.gpu,memory.used,memory.total,power.draw,power.limit,temperature.gpu"

_enabled: Optional[bool] = None  # set by enable/disable_system_metrics_logging; None: the variable decides
_warned: set = set()


def enable_system_metrics_logging() -> None:
    """Logs system metrics for every run started from now on (a run's ``log_system_metrics``
    argument still decides for that run)."""
    global _enabled
    _enabled = True


def disable_system_metrics_logging() -> None:
    """Stops logging system metrics for runs started from now on, whatever ``RUNLOG_SYSTEM_METRICS``
    says (a run's ``log_system_metrics=True`` still turns them on for it)."""
    global _enabled
    _enabled = False


def enabled_by_default() -> bool:
    """Whether a top-level run logs system metrics when ``start_run`` does not say."""
    if _enabled is not None:
        return _enabled
    return os.environ.get(ENABLE_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


def interval() -> float:
    """The sampling interval in seconds: ``RUNLOG_SYSTEM_METRICS_INTERVAL``, else 10."""
    text = os.environ.get(INTERVAL_VARIABLE, "").strip()
    if not text:
        return DEFAULT_INTERVAL
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= MIN_INTERVAL:  # also NaN
        _warn_once(
            "interval",
            "%s=%r is not a number of seconds of at least %s; sampling every %g s"
            % (INTERVAL_VARIABLE, text, MIN_INTERVAL, DEFAULT_INTERVAL),
        )
        return DEFAULT_INTERVAL
    return value


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warn(message)


# --- readings -----------------------------------------------------------------------------------


def _read(path: str) -> str:
    with open(path, "rb") as handle:
        return handle.read().decode("ascii", "replace")


def cpu_times() -> Optional[Tuple[int, int]]:
    """(busy, total) jiffies of all CPUs from /proc/stat, or None off Linux."""
    try:
        first = _read("/proc/stat").split("\n", 1)[0].split()
    except OSError:
        return None
    if not first or first[0] != "cpu":
        return None
    values = [int(v) for v in first[1:9]]  # user nice system idle iowait irq softirq steal (guest is in user)
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values)
    return total - idle, total


def memory() -> Optional[Tuple[int, int]]:
    """(total, available) bytes of system memory from /proc/meminfo, or None."""
    try:
        text = _read("/proc/meminfo")
    except OSError:
        return None
    fields: Dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in ("MemTotal", "MemAvailable", "MemFree", "Buffers", "Cached"):
            fields[name] = int(rest.split()[0]) * 1024
    total = fields.get("MemTotal")
    if not total:
        return None
    available = fields.get("MemAvailable")
    if available is None:  # kernels before 3.14
        available = fields.get("MemFree", 0) + fields.get("Buffers", 0) + fields.get("Cached", 0)
    return total, available


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def process_rss() -> Optional[int]:
    """This process's resident memory in bytes (/proc/self/statm), or None."""
    try:
        return int(_read("/proc/self/statm").split()[1]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return None


def network_bytes() -> Optional[Tuple[int, int]]:
    """(received, transmitted) bytes over every interface but loopback, from /proc/net/dev."""
    try:
        lines = _read("/proc/net/dev").splitlines()[2:]
    except OSError:
        return None
    received = transmitted = 0
    for line in lines:
        name, _, rest = line.partition(":")
        if name.strip() == "lo":
            continue
        cells = rest.split()
        if len(cells) >= 9:
            received += int(cells[0])
            transmitted += int(cells[8])
    return received, transmitted


def block_device_stat(folder: str) -> Optional[str]:
    """The /sys stat file of the block device holding ``folder`` (a partition has its own), or None
    (not Linux, or a file system with no block device: tmpfs, overlay, network)."""
    try:
        device = os.stat(folder).st_dev
    except OSError:
        return None
    path = "/sys/dev/block/%d:%d/stat" % (os.major(device), os.minor(device))
    return path if os.path.exists(path) else None


def disk_bytes(stat_file: str) -> Optional[Tuple[int, int]]:
    """(read, written) bytes of a block device since boot (sectors of 512 bytes)."""
    try:
        cells = _read(stat_file).split()
        return int(cells[2]) * 512, int(cells[6]) * 512
    except (OSError, IndexError, ValueError):
        return None


def _gpu_number(text: str) -> Optional[float]:
    try:
        return float(text)
    except ValueError:
        return None  # "[N/A]", "[Not Supported]"


def gpu_metrics(command: str) -> Dict[str, float]:
    """One reading of every GPU from ``nvidia-smi --query-gpu``; empty when it fails."""
    try:
        done = subprocess.run(
            [command, "--query-gpu=%s" % GPU_QUERY, "--format=csv,noheader,nounits"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=NVIDIA_SMI_TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if done.returncode != 0:
        return {}
    metrics: Dict[str, float] = {}
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) < 7 or not cells[0].isdigit():
            continue
        index = cells[0]
        utilization, used, total, power, limit, temperature = (_gpu_number(cell) for cell in cells[1:7])
        name = "gpu_%s_" % index
        if utilization is not None:
            metrics[name + "utilization_percentage"] = utilization
        if used is not None:
            metrics[name + "memory_usage_megabytes"] = round(used * _MIB / _MB, 1)
            if total:
                metrics[name + "memory_usage_percentage"] = round(used / total * 100, 1)
        if power is not None:
            metrics[name + "power_usage_watts"] = power
            if limit:
                metrics[name + "power_usage_percentage"] = round(power / limit * 100, 1)
        if temperature is not None:
            metrics[name + "temperature_celsius"] = temperature
    return metrics


# --- the sampler --------------------------------------------------------------------------------


class Sampler:
    """Samples the system into one run; ``stop()`` (a hook of the run's end) logs a last point."""

    def __init__(self, run: Any, every: float) -> None:
        self.run = run
        self.every = every
        self.step = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one sample at a time (the thread's, or the final one)
        self._thread: Optional[threading.Thread] = None
        self._last_sample = 0.0
        self._disk_stat = block_device_stat(run.store)
        self._nvidia_smi = shutil.which("nvidia-smi")
        self._cpu = cpu_times()
        self._net_start = network_bytes()
        self._disk_start = disk_bytes(self._disk_stat) if self._disk_stat else None
        self._process_cpu = self._process_times()

    @staticmethod
    def _process_times() -> Tuple[float, float]:
        times = os.times()
        return times.user + times.system, time.monotonic()

    def start(self) -> None:
        self._last_sample = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="runlog-system-metrics", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.every):
                self.sample()
        except BaseException:  # noqa: BLE001 - a sampler thread must never take anything down
            pass

    def stop(self) -> None:
        """Stops the thread and logs the last stretch (unless a sample was just taken)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(NVIDIA_SMI_TIMEOUT + 1)
        if time.monotonic() - self._last_sample >= MIN_FINAL_GAP or self.step == 0:
            self.sample()

    def sample(self) -> None:
        """Logs one point of every metric it can read; never raises."""
        with self._lock:
            try:
                metrics = self.collect()
                if metrics:
                    self.run.log_metrics({PREFIX + key: value for key, value in metrics.items()}, step=self.step)
                    self.step += 1
            except Exception as exc:  # noqa: BLE001 - system metrics must never break a run
                _warn_once("sample", "could not log system metrics: %r (they stop for now)" % (exc,))
            self._last_sample = time.monotonic()

    def collect(self) -> Dict[str, float]:
        metrics: Dict[str, float] = {}
        readings: List[Callable[[Dict[str, float]], None]] = [
            self._cpu_metrics, self._memory_metrics, self._disk_metrics, self._network_metrics, self._gpu_metrics,
        ]
        for reading in readings:
            try:
                reading(metrics)
            except Exception as exc:  # noqa: BLE001 - one failed reading leaves out its metrics
                _warn_once(reading.__name__, "system metrics: %s failed: %r" % (reading.__name__.strip("_"), exc))
        return metrics

    def _cpu_metrics(self, metrics: Dict[str, float]) -> None:
        now = cpu_times()
        if now is not None and self._cpu is not None and now[1] > self._cpu[1]:
            metrics["cpu_utilization_percentage"] = round((now[0] - self._cpu[0]) / (now[1] - self._cpu[1]) * 100, 1)
        if now is not None:
            self._cpu = now
        cpu, wall = self._process_times()
        if wall > self._process_cpu[1]:
            metrics["process_cpu_percentage"] = round((cpu - self._process_cpu[0]) / (wall - self._process_cpu[1]) * 100, 1)
        self._process_cpu = (cpu, wall)

    def _memory_metrics(self, metrics: Dict[str, float]) -> None:
        system = memory()
        if system is not None:
            total, available = system
            metrics["system_memory_usage_megabytes"] = round((total - available) / _MB, 1)
            metrics["system_memory_usage_percentage"] = round((total - available) / total * 100, 1)
        rss = process_rss()
        if rss is not None:
            metrics["process_memory_rss_megabytes"] = round(rss / _MB, 1)
            if system is not None:
                metrics["process_memory_percentage"] = round(rss / system[0] * 100, 1)

    def _disk_metrics(self, metrics: Dict[str, float]) -> None:
        usage = shutil.disk_usage(self.run.store if os.path.isdir(self.run.store) else os.getcwd())
        used_and_free = usage.used + usage.free
        if used_and_free:
            metrics["disk_usage_percentage"] = round(usage.used / used_and_free * 100, 1)
        metrics["disk_usage_megabytes"] = round(usage.used / _MB, 1)
        metrics["disk_available_megabytes"] = round(usage.free / _MB, 1)
        if self._disk_stat and self._disk_start:
            now = disk_bytes(self._disk_stat)
            if now is not None:
                metrics["disk_read_megabytes"] = round((now[0] - self._disk_start[0]) / _MB, 1)
                metrics["disk_write_megabytes"] = round((now[1] - self._disk_start[1]) / _MB, 1)

    def _network_metrics(self, metrics: Dict[str, float]) -> None:
        now = network_bytes()
        if now is not None and self._net_start is not None:
            metrics["network_receive_megabytes"] = round((now[0] - self._net_start[0]) / _MB, 1)
            metrics["network_transmit_megabytes"] = round((now[1] - self._net_start[1]) / _MB, 1)

    def _gpu_metrics(self, metrics: Dict[str, float]) -> None:
        if self._nvidia_smi:
            metrics.update(gpu_metrics(self._nvidia_smi))


def start(run: Any) -> Optional[Sampler]:
    """Starts sampling into ``run`` until it ends; None if the sampler could not start (said once)."""
    try:
        sampler = Sampler(run, interval())
        sampler.start()
    except Exception as exc:  # noqa: BLE001 - the run goes on without system metrics
        _warn_once("start", "could not start logging system metrics: %r" % (exc,))
        return None
    run._end_hooks.append(sampler.stop)
    return sampler
