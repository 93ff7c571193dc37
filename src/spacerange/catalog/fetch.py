"""Live element sets, optional: CelesTrak GP and Space-Track, with a local cache.

Nothing else in spacerange needs the network; this module is the one place that may use it,
and only when asked (``spacerange catalog fetch``).  Every download is written to a cache
directory with a sidecar ``*.meta.json`` (source, URL without credentials, fetch time), so
the same data can be imported again offline, and every result says how old its data is.

* **CelesTrak GP** (``gp.php?GROUP=...&FORMAT=json``, the OMM-in-JSON "GP" format).
  CelesTrak asks clients not to download the same data more than once per two hours: a
  cached copy younger than :data:`CELESTRAK_MIN_INTERVAL_S` is served instead unless
  ``force``.  Standard library HTTP (``urllib``), no extra dependency.
* **Space-Track** through the ``spacetrack`` client library (the ``live`` extra): the
  ``gp`` class (latest element set per object) as 3LE, for given NORAD ids or every object
  with an epoch in the last ``days`` days.  Credentials come from the environment
  (``SPACETRACK_IDENTITY``, ``SPACETRACK_PASSWORD``), never from the command line.

When the network fails and a cached copy exists, the cache is served with
``from_cache = True`` and a warning that says why; without a cache the failure is an error.
Base URLs can be overridden (``SPACERANGE_CELESTRAK_URL``, ``SPACERANGE_SPACETRACK_URL``),
which is how the tests replay recorded-format responses from a local server.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CELESTRAK_MIN_INTERVAL_S",
    "FetchResult",
    "default_cache_dir",
    "fetch_celestrak",
    "fetch_spacetrack",
]

CELESTRAK_URL = "https://celestrak.org"
SPACETRACK_URL = "https://www.space-track.org"
CELESTRAK_MIN_INTERVAL_S = 2 * 3600.0


@dataclass
class FetchResult:
    """Where the data is, where it came from and how old it is."""

    path: Path
    source: str
    url: str
    fetched_unix_s: float
    from_cache: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def age_s(self) -> float:
        return max(0.0, time.time() - self.fetched_unix_s)

    def as_dict(self) -> dict:
        return {
            "file": str(self.path),
            "source": self.source,
            "url": self.url,
            "fetched_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.fetched_unix_s)),
            "age_s": round(self.age_s, 1),
            "from_cache": self.from_cache,
            "warnings": self.warnings,
        }


def default_cache_dir() -> Path:
    """``$SPACERANGE_CACHE`` or ``~/.cache/spacerange/elements``."""
    env = os.environ.get("SPACERANGE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "spacerange" / "elements"


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def _cached(path: Path) -> dict | None:
    meta = _meta_path(path)
    if not (path.exists() and meta.exists()):
        return None
    try:
        return json.loads(meta.read_text())
    except (OSError, ValueError):
        return None


def _store(path: Path, data: bytes, source: str, url: str) -> float:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)  # never a half-written cache file
    now = time.time()
    _meta_path(path).write_text(json.dumps({"source": source, "url": url, "fetched": now}))
    return now


def _serve_cache(path: Path, source: str, url: str, why: str) -> FetchResult:
    meta = _cached(path)
    if meta is None:
        raise OSError(f"{source}: {why}, and no cached copy in {path.parent}")
    res = FetchResult(path, source, meta.get("url", url), float(meta["fetched"]), True)
    res.warnings.append(f"{why}; serving the cached copy fetched {res.age_s / 3600:.1f} h ago")
    return res


def fetch_celestrak(
    group: str = "active",
    cache_dir: Path | None = None,
    *,
    force: bool = False,
    base_url: str | None = None,
    timeout_s: float = 60.0,
) -> FetchResult:
    """Download CelesTrak's GP JSON for a group (``active``, ``stations``, ``gps-ops``...)."""
    if not group or not all(c.isalnum() or c in "-_" for c in group):
        raise ValueError(f"--group {group!r}: letters, digits, '-' and '_' only")
    base = (base_url or os.environ.get("SPACERANGE_CELESTRAK_URL") or CELESTRAK_URL).rstrip("/")
    query = urllib.parse.urlencode({"GROUP": group, "FORMAT": "json"})
    url = f"{base}/NORAD/elements/gp.php?{query}"
    path = (cache_dir or default_cache_dir()) / f"celestrak-{group}.json"
    meta = _cached(path)
    if meta is not None and not force and time.time() - meta["fetched"] < CELESTRAK_MIN_INTERVAL_S:
        res = FetchResult(path, "celestrak", url, float(meta["fetched"]), True)
        res.warnings.append(
            "CelesTrak asks for at most one download of the same data per 2 h: "
            "serving the cache (--force downloads anyway)"
        )
        return res
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "spacerange"})
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            data = resp.read()
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return _serve_cache(path, "celestrak", url, f"download failed ({exc})")
    try:
        records = json.loads(data)
    except ValueError:
        return _serve_cache(path, "celestrak", url, "the answer is not GP JSON")
    if not isinstance(records, list) or not records:
        # CelesTrak answers an unknown group with a text message, an empty one with []
        return _serve_cache(path, "celestrak", url, f"no element sets for group {group!r}")
    fetched = _store(path, data, "celestrak", url)
    return FetchResult(path, "celestrak", url, fetched, False)


def fetch_spacetrack(
    norad_ids: Sequence[int] = (),
    days: float = 30.0,
    cache_dir: Path | None = None,
    *,
    base_url: str | None = None,
    identity: str | None = None,
    password: str | None = None,
) -> FetchResult:
    """Latest element sets (``gp`` class, 3LE) from Space-Track for ``norad_ids``, or for
    every object with an epoch in the last ``days`` days."""
    try:
        from spacetrack import AuthenticationError, SpaceTrackClient
    except ImportError:
        raise ValueError(
            "Space-Track needs the 'spacetrack' client library: pip install 'spacerange[live]'"
        ) from None
    ident = identity or os.environ.get("SPACETRACK_IDENTITY")
    pwd = password or os.environ.get("SPACETRACK_PASSWORD")
    if not ident or not pwd:
        raise ValueError("set SPACETRACK_IDENTITY and SPACETRACK_PASSWORD for Space-Track")
    base = (base_url or os.environ.get("SPACERANGE_SPACETRACK_URL") or SPACETRACK_URL).rstrip("/")
    ids = sorted({int(n) for n in norad_ids})
    tag = f"ids-{ids[0]}-{ids[-1]}-{len(ids)}" if ids else f"epoch-{days:g}d"
    path = (cache_dir or default_cache_dir()) / f"spacetrack-gp-{tag}.3le"
    url = f"{base}/basicspacedata/query/class/gp"
    kw: dict = {"format": "3le", "orderby": "norad_cat_id"}
    if ids:
        kw["norad_cat_id"] = ids
    else:
        kw["epoch"] = f">now-{days:g}"
    notes: list[str] = []
    try:
        client = SpaceTrackClient(ident, pwd, base_url=base + "/", cache_path=path.parent / "st")
        try:
            text = client.gp(**kw)
        finally:
            try:
                client.close()  # logs out
            except Exception as exc:  # the data is in hand; a failed logout is only noted
                notes.append(f"Space-Track logout failed: {exc}")
    except AuthenticationError:
        raise ValueError(
            "Space-Track refused the credentials (SPACETRACK_IDENTITY/PASSWORD)"
        ) from None
    except OSError as exc:
        return _serve_cache(path, "spacetrack", url, f"download failed ({exc})")
    except Exception as exc:  # httpx errors do not derive from OSError
        if type(exc).__module__.split(".")[0] not in ("httpx", "httpcore", "httpx2"):
            raise
        return _serve_cache(path, "spacetrack", url, f"download failed ({exc})")
    if not text or not text.strip():
        return _serve_cache(path, "spacetrack", url, "Space-Track returned no element sets")
    fetched = _store(path, text.encode(), "spacetrack", url)
    return FetchResult(path, "spacetrack", url, fetched, False, notes)
