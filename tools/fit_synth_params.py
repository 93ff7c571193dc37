"""Fit the parameters of the synthetic space-object population (offline, run by hand).

Reads the real public catalog snapshot (Space-Track 3LE, names carrying ``DEB`` / ``R/B``) and
McDowell's GCAT payload catalog (owner state ``UNState``, joined by ``#JCAT`` = ``S`` + NORAD
number, and by launch for rocket bodies and debris), splits the catalog into the named
components described in :mod:`spacerange.catalog.synth`, and writes
``src/spacerange/data/synth_params.json``.

Usage::

    .venv/bin/python tools/fit_synth_params.py \\
        --tle ../shared/data/catalog/spacetrack_3le_full_20231009.txt \\
        --gcat ../shared/data/catalog/gcat_psatcat_20250407.tsv

Only the fitted parameters (quantile tables, copula correlations, plane counts, owner
frequencies) are written; no real element set is copied.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import math
from pathlib import Path

import numpy as np
from scipy import stats
from sgp4.api import Satrec

from spacerange.catalog.synth import (
    MU_KM3_S2,
    RE_KM,
    gmst_deg,
    regime_labels,
    sso_inclination_deg,
    sun_ra_deg,
)

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "spacerange" / "data" / "synth_params.json"


# LEO constellations recognised by name; each becomes one or more shells with discrete planes.
CONSTELLATIONS = ["STARLINK", "ONEWEB", "IRIDIUM", "ORBCOMM", "GLOBALSTAR"]
SHELL_MIN = 30  # objects in a (0.1 deg, 10 km) cell to seed a shell
SHELL_TOL_INC_DEG = 0.1
SHELL_TOL_ALT_KM = 15.0
# Navigation shells in MEO (payloads, e < 0.02): name, mean altitude box km, inclination box deg.
NAV_SHELLS = [
    ("GPS-like", (19800.0, 20600.0), (50.0, 60.0)),
    ("GLONASS-like", (18800.0, 19400.0), (62.0, 67.0)),
    ("GALILEO-like", (22800.0, 23700.0), (53.0, 59.0)),
    ("BEIDOU-MEO-like", (21300.0, 21800.0), (53.0, 58.0)),
]
CLOUD_MIN = 150  # debris pieces of one launch that make a named debris cloud
SSO_TOL_DEG = 0.6
TOP_OWNERS = 15
TYPES = ["PAYLOAD", "ROCKET BODY", "DEBRIS", "UNKNOWN"]


def object_type(name: str) -> str:
    """Type from a Space-Track 3LE name line (DEB / R/B markers; TBA and 'OBJECT x' unknown)."""
    words = name.split()
    if "DEB" in words:
        return "DEBRIS"
    if "R/B" in words:
        return "ROCKET BODY"
    if name.startswith("TBA") or (len(words) == 2 and words[0] == "OBJECT"):
        return "UNKNOWN"
    return "PAYLOAD"


def read_3le(path: Path) -> dict[str, np.ndarray]:
    lines = path.read_text().splitlines()
    rec = collections.defaultdict(list)
    for i in range(0, len(lines) - 2, 3):
        name = lines[i][2:].strip() if lines[i].startswith("0 ") else lines[i].strip()
        sat = Satrec.twoline2rv(lines[i + 1], lines[i + 2])
        rec["name"].append(name)
        rec["norad"].append(sat.satnum)
        rec["launch"].append(lines[i + 1][9:14].strip())
        rec["n_rev_day"].append(sat.no_kozai * 1440.0 / (2.0 * math.pi))
        rec["ecc"].append(sat.ecco)
        rec["inc"].append(math.degrees(sat.inclo))
        rec["raan"].append(math.degrees(sat.nodeo))
        rec["argp"].append(math.degrees(sat.argpo))
        rec["ma"].append(math.degrees(sat.mo))
        rec["bstar"].append(sat.bstar)
        rec["jd"].append(sat.jdsatepoch + sat.jdsatepochF)
    out = {k: np.array(v) for k, v in rec.items()}
    n_rad_s = out["n_rev_day"] * 2.0 * math.pi / 86400.0
    a = (MU_KM3_S2 / n_rad_s**2) ** (1.0 / 3.0)
    out["a"] = a
    out["perigee"] = a * (1.0 - out["ecc"]) - RE_KM
    out["apogee"] = a * (1.0 + out["ecc"]) - RE_KM
    out["alt"] = a - RE_KM
    out["period"] = 1440.0 / out["n_rev_day"]
    out["type"] = np.array([object_type(n) for n in out["name"]], dtype=object)
    out["regime"] = regime_labels(out["perigee"], out["apogee"])
    gmst = gmst_deg(out["jd"])
    out["lon"] = (out["raan"] + out["argp"] + out["ma"] - gmst + 180.0) % 360.0 - 180.0
    out["ltan"] = (12.0 + (out["raan"] - sun_ra_deg(out["jd"])) / 15.0) % 24.0
    return out


def clean_state(s: str) -> str:
    s = s.strip().strip("[]").rstrip("*").strip()
    return s if s and s != "-" else "UNKNOWN"


def owners(cat: dict[str, np.ndarray], gcat_path: Path) -> np.ndarray:
    """Owner state per object: GCAT UNState by NORAD id, else by launch (the launch's payloads)."""
    by_norad: dict[int, str] = {}
    by_launch: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    with gcat_path.open() as f:
        for row in csv.DictReader((ln for ln in f if not ln.startswith("# ")), delimiter="\t"):
            jcat = row["#JCAT"]
            if not jcat.startswith("S") or not jcat[1:].isdigit():
                continue
            st = clean_state(row["UNState"])
            by_norad[int(jcat[1:])] = st
            piece = row["Piece"]
            if len(piece) >= 8 and piece[4] == "-" and piece[:4].isdigit():
                by_launch[piece[2:4] + piece[5:8]][st] += 1
    for norad, launch in zip(cat["norad"], cat["launch"], strict=True):
        if int(norad) in by_norad:
            by_launch[launch][by_norad[int(norad)]] += 1
    out = []
    for norad, launch in zip(cat["norad"], cat["launch"], strict=True):
        if int(norad) in by_norad:
            out.append(by_norad[int(norad)])
        elif by_launch.get(launch):
            out.append(by_launch[launch].most_common(1)[0][0])
        else:
            out.append("UNKNOWN")
    return np.array(out, dtype=object)


# ---------------------------------------------------------------------------------------------
# component fitting


def n_quantiles(count: int) -> int:
    """Number of quantile intervals stored for a table fitted to ``count`` objects."""
    return int(min(48, max(2, count // 15)))


def qtable(x: np.ndarray, m: int, digits: int) -> list[float]:
    return [round(float(v), digits) for v in np.quantile(x, np.linspace(0.0, 1.0, m + 1))]


def copula(cols: list[np.ndarray]) -> list[list[float]]:
    """Gaussian-copula correlation (normal scores of ranks), positive definite."""
    k, n = len(cols), len(cols[0])
    if n < 10 or k == 1:
        return np.eye(k).round(3).tolist()
    z = np.array([stats.norm.ppf(stats.rankdata(c) / (n + 1)) for c in cols])
    c = np.corrcoef(z)
    c = np.nan_to_num(c, nan=0.0)
    np.fill_diagonal(c, 1.0)
    w, v = np.linalg.eigh(c)
    c = (v * np.clip(w, 1e-3, None)) @ v.T
    d = np.sqrt(np.diag(c))
    return (c / np.outer(d, d)).round(3).tolist()


DIGITS = {"perigee_alt_km": 1, "apogee_alt_km": 1, "inc_deg": 3, "inc_resid_deg": 3,
          "raan_deg": 1, "argp_deg": 1, "lon_deg": 2, "ltan_h": 2}  # fmt: skip


def owner_freq(ow: np.ndarray) -> dict[str, float]:
    c = collections.Counter(ow.tolist())
    top = c.most_common(TOP_OWNERS)
    freq = {k: round(v / len(ow), 4) for k, v in top}
    rest = len(ow) - sum(v for _, v in top)
    if rest:
        freq["OTHER"] = round(rest / len(ow), 4)
    return freq


def table_component(
    name: str, stem: str, otype: str, reg: str, cat: dict, mask: np.ndarray, feats: list[str],
    **extra,
) -> dict:  # fmt: skip
    cols = {
        "perigee_alt_km": cat["perigee"], "apogee_alt_km": cat["apogee"], "inc_deg": cat["inc"],
        "raan_deg": cat["raan"], "argp_deg": cat["argp"], "lon_deg": cat["lon"],
        "ltan_h": cat["ltan"], "inc_resid_deg": cat.get("inc_resid"),
    }  # fmt: skip
    count = int(mask.sum())
    m = n_quantiles(count)
    data = [cols[f][mask] for f in feats]
    return {
        "name": name,
        "name_stem": stem,
        "object_type": otype,
        "regime": reg,
        "count": count,
        "features": feats,
        "quantiles": {f: qtable(d, m, DIGITS[f]) for f, d in zip(feats, data, strict=True)},
        "copula_corr": copula(data),
        "owners": owner_freq(cat["owner"][mask]),
        **extra,
    }


def planes(raan_deg: np.ndarray, gap_deg: float = 3.0, max_planes: int = 150) -> dict:
    """Discrete orbit planes: circular gap clustering of the RAANs of a shell's members.

    Sorted RAANs are split wherever two neighbours are more than ``gap_deg`` apart; each
    cluster is a plane (centre = circular mean, weight = occupancy) and the pooled
    within-plane scatter is kept.  Shells without clear planes get a uniform RAAN.
    """
    th = np.sort(raan_deg % 360.0)
    gaps = np.diff(np.concatenate([th, th[:1] + 360.0]))
    cut = np.flatnonzero(gaps > gap_deg)
    if len(cut) < 1 or len(cut) > max_planes:
        return {"raan": "uniform"}
    th = np.roll(th, -(cut[0] + 1))  # start just after a gap so no cluster wraps
    labels = np.cumsum(np.concatenate([[0], np.diff(th) % 360.0 > gap_deg]))
    centres, weights, resid = [], [], []
    for k in range(labels.max() + 1):
        x = np.radians(th[labels == k])
        c = np.angle(np.exp(1j * x).mean())
        centres.append(round(math.degrees(c) % 360.0, 2))
        weights.append(len(x))
        resid.append(np.angle(np.exp(1j * (x - c))))
    std = math.degrees(float(np.std(np.concatenate(resid))))
    return {
        "raan": "planes",
        "plane_raan_deg": centres,
        "plane_weight": [round(w / len(raan_deg), 4) for w in weights],
        "raan_plane_std_deg": round(std, 3),
    }


def resid_bands(cat: dict, m: np.ndarray, n_bands: int = 6) -> dict:
    """SSO inclination residual quantiles conditioned on perigee-altitude bands (equal counts)."""
    edges = np.quantile(cat["perigee"][m], np.linspace(0, 1, n_bands + 1))
    band = np.clip(np.searchsorted(edges, cat["perigee"][m], side="right") - 1, 0, n_bands - 1)
    res = cat["inc_resid"][m]
    return {
        "perigee_edges_km": [round(float(e), 1) for e in edges],
        "quantiles": [qtable(res[band == b], 20, 3) for b in range(n_bands)],
    }


def fit(tle_path: Path, gcat_path: Path) -> dict:
    cat = read_3le(tle_path)
    cat["owner"] = owners(cat, gcat_path)
    n = len(cat["name"])
    free = np.ones(n, dtype=bool)
    comps: list[dict] = []
    shell_feats = ["perigee_alt_km", "apogee_alt_km", "inc_deg"]

    # 1. LEO constellation shells (by name, then by (inclination, altitude) cells).
    for pre in CONSTELLATIONS:
        members = free & np.array([s.startswith(pre) for s in cat["name"]]) & (cat["ecc"] < 0.003)
        cells = collections.Counter(
            zip(
                np.round(cat["inc"][members] * 20) / 20,
                np.round(cat["alt"][members], -1),
                strict=True,
            )
        )
        seeds: list[tuple[float, float]] = []
        for (ci, ca), cnt in cells.most_common():
            if cnt < SHELL_MIN:
                break
            if any(abs(ci - si) < SHELL_TOL_INC_DEG and abs(ca - sa) < SHELL_TOL_ALT_KM
                   for si, sa in seeds):  # fmt: skip
                continue
            seeds.append((ci, ca))
        for j, (si, sa) in enumerate(seeds):
            m = (
                free
                & members
                & (np.abs(cat["inc"] - si) < SHELL_TOL_INC_DEG)
                & (np.abs(cat["alt"] - sa) < SHELL_TOL_ALT_KM)
            )
            if m.sum() < SHELL_MIN:
                continue
            pl = planes(cat["raan"][m])
            comps.append(table_component(
                f"{pre}-like shell {j + 1} ({np.median(cat['inc'][m]):.1f} deg, "
                f"{np.median(cat['alt'][m]):.0f} km)",
                f"SYN-{pre}-like", "PAYLOAD", "LEO", cat, m, shell_feats, **pl,
            ))  # fmt: skip
            free &= ~m

    # 2. MEO navigation shells.
    for label, (alo, ahi), (ilo, ihi) in NAV_SHELLS:
        m = (free & (cat["type"] == "PAYLOAD") & (cat["ecc"] < 0.02)
             & (cat["alt"] > alo) & (cat["alt"] < ahi) & (cat["inc"] > ilo) & (cat["inc"] < ihi))  # fmt: skip
        pl = planes(cat["raan"][m], gap_deg=10.0)
        comps.append(table_component(
            f"{label} navigation shell", f"SYN-{label.split('-')[0]}-like", "PAYLOAD", "MEO",
            cat, m, shell_feats, **pl,
        ))  # fmt: skip
        free &= ~m

    # 3. Debris clouds: launches with many catalogued debris pieces.
    deb = free & (cat["type"] == "DEBRIS")
    launches = collections.Counter(cat["launch"][deb])
    for launch, cnt in launches.most_common():
        if cnt < CLOUD_MIN:
            break
        m = deb & (cat["launch"] == launch)
        regs = collections.Counter(cat["regime"][m]).most_common()
        reg = regs[0][0]
        m &= cat["regime"] == reg
        parent = [s for s, ln in zip(cat["name"], cat["launch"], strict=True)
                  if ln == launch and object_type(s) != "DEBRIS"]  # fmt: skip
        parent_name = parent[0] if parent else launch
        yr = ("19" if int(launch[:2]) >= 57 else "20") + launch[:2]
        comps.append(table_component(
            f"debris cloud {yr}-{launch[2:]} ({parent_name})",
            f"SYN-{parent_name.split()[0]}-like DEB", "DEBRIS", reg, cat, m,
            ["perigee_alt_km", "apogee_alt_km", "inc_deg", "raan_deg"], raan="feature",
        ))  # fmt: skip
        free &= ~m

    # 4. Sun-synchronous band (non-debris LEO objects on the J2 SSO condition).
    inc_sso = sso_inclination_deg(cat["a"], cat["ecc"])
    cat["inc_resid"] = cat["inc"] - inc_sso
    sso = free & (cat["regime"] == "LEO") & (np.abs(cat["inc_resid"]) < SSO_TOL_DEG)
    for t in ["PAYLOAD", "ROCKET BODY", "UNKNOWN"]:
        m = sso & (cat["type"] == t)
        if m.sum() < 30:
            continue
        comps.append(table_component(
            f"sun-synchronous band, {t.lower()}", stem_of(t), t, "LEO", cat, m,
            ["perigee_alt_km", "apogee_alt_km", "inc_resid_deg", "ltan_h"],
            inclination="sso", raan="ltan", inc_resid_bands=resid_bands(cat, m),
        ))  # fmt: skip
        free &= ~m

    # 5. HEO: Molniya-like (critical inclination, 12 h) and GTO-like / other HEO.
    heo = free & (cat["regime"] == "HEO")
    molniya = (
        heo
        & (cat["inc"] > 55.0)
        & (cat["inc"] < 70.0)
        & (cat["period"] > 600.0)
        & (cat["period"] < 800.0)
    )
    heo_feats = ["perigee_alt_km", "apogee_alt_km", "inc_deg", "argp_deg"]
    for label, sub in [("Molniya-like", molniya), ("GTO-like and other HEO", heo & ~molniya)]:
        for t in TYPES:
            m = sub & (cat["type"] == t)
            if m.sum() < 3:
                continue
            comps.append(table_component(
                f"{label}, {t.lower()}", stem_of(t), t, "HEO", cat, m, heo_feats,
            ))  # fmt: skip
            free &= ~m

    # 6. GEO: the station-kept belt (longitude-controlled payloads) and drifting objects.
    geo = free & (cat["regime"] == "GEO")
    drift_deg_day = (cat["n_rev_day"] - 1.00273791) * 360.0
    belt = geo & (np.abs(drift_deg_day) < 0.2) & (cat["inc"] < 1.0) & (cat["ecc"] < 0.001)
    geo_feats = ["perigee_alt_km", "apogee_alt_km", "inc_deg", "raan_deg", "lon_deg"]
    for label, sub in [("GEO belt (station-kept)", belt), ("GEO drifting/graveyard", geo & ~belt)]:
        for t in TYPES:
            m = sub & (cat["type"] == t)
            if m.sum() < 3:
                continue
            comps.append(table_component(
                f"{label}, {t.lower()}", stem_of(t), t, "GEO", cat, m, geo_feats,
                raan="feature", anomaly="longitude",
            ))  # fmt: skip
            free &= ~m

    # 7. Everything else: generic tables per regime and type.
    for reg in ["LEO", "MEO", "GEO", "HEO"]:
        for t in TYPES:
            m = free & (cat["regime"] == reg) & (cat["type"] == t)
            if m.sum() == 0:
                continue
            feats = ["perigee_alt_km", "apogee_alt_km", "inc_deg"]
            comps.append(table_component(
                f"generic {reg} {t.lower()}", stem_of(t), t, reg, cat, m, feats,
            ))  # fmt: skip
            free &= ~m
    assert not free.any(), f"{free.sum()} objects not assigned to a component"

    # Epoch spread: offsets from the median epoch, the bulk within two days.
    jd_med = float(np.median(cat["jd"]))
    off = cat["jd"] - jd_med
    off = off[(off > -2.0) & (off < 1.0)]

    # BSTAR by type and perigee altitude band.
    edges = [0.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 1000.0, 1500.0, 2000.0, 1e6]
    bstar = {}
    for t in TYPES:
        rows = []
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            m = (cat["type"] == t) & (cat["perigee"] >= lo) & (cat["perigee"] < hi)
            if m.sum() < 5:
                m = (cat["perigee"] >= lo) & (cat["perigee"] < hi)
            b = np.clip(cat["bstar"][m], -0.01, 0.05)
            rows.append([float(f"{v:.3e}") for v in np.quantile(b, np.linspace(0, 1, 21))])
        bstar[t] = rows

    real_types = collections.Counter(cat["type"].tolist())
    return {
        "header": f"generated by tools/fit_synth_params.py from {tle_path.name} and "
        f"{gcat_path.name} — do not edit",
        "source_objects": n,
        "source_type_fractions": {t: round(real_types[t] / n, 4) for t in TYPES},
        "source_median_epoch_jd": round(jd_med, 5),
        "epoch_offset_days_q": [
            round(float(v), 4) for v in np.quantile(off, np.linspace(0, 1, 41))
        ],
        "bstar": {"perigee_edges_km": edges, "quantiles": bstar},
        "components": comps,
    }


def stem_of(t: str) -> str:
    return {"PAYLOAD": "SYN SAT", "ROCKET BODY": "SYN R/B", "DEBRIS": "SYN DEB"}.get(t, "SYN TBA")


def main() -> None:
    data = REPO.parent / "shared" / "data" / "catalog"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tle", type=Path, default=data / "spacetrack_3le_full_20231009.txt")
    ap.add_argument("--gcat", type=Path, default=data / "gcat_psatcat_20250407.tsv")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    params = fit(args.tle, args.gcat)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(params, separators=(",", ":"), ensure_ascii=False) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.1f} KiB), "
          f"{len(params['components'])} components")  # fmt: skip
    for c in params["components"]:
        print(f"  {c['count']:6d}  {c['name']}  planes={len(c.get('plane_raan_deg', []))}")


if __name__ == "__main__":
    main()
