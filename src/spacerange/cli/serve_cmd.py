"""``spacerange serve`` (exercise server + web console) and ``spacerange admin``."""

from __future__ import annotations

import secrets
from pathlib import Path

import typer

from spacerange.cli.app import app
from spacerange.cli.common import (
    deprecated_alias,
    emit,
    err,
    guard,
    out,
    parse_duration_option,
    store_url,
)

admin_app = typer.Typer(
    help="Server accounts: bootstrap an admin, add users.", no_args_is_help=True
)
app.add_typer(admin_app, name="admin")

_REPO = Path(__file__).resolve().parents[3]
DB_HELP = (
    "Server store: a SQLite file path, or a SQLAlchemy URL (sqlite:///FILE, "
    "postgresql://USER@HOST/DB)."
)


def _default_db(run_dir: Path) -> str:
    return f"sqlite:///{(run_dir / 'server.sqlite').resolve()}"


def open_store(db_url: str):
    """The server store at ``db_url``; a bad URL or an unreachable database is an input
    error (exit 1 with the message), not a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from spacerange.server.store import Store

    try:
        return Store(db_url)
    except SQLAlchemyError as exc:
        raise ValueError(f"--db {db_url}: {type(exc).__name__}: {exc}".splitlines()[0]) from None


def ensure_cesium_assets(static_dir: Path | None = None) -> Path | None:
    """Copy Cesium's Build/Cesium from ``web/node_modules`` into the served static dir when
    it is missing there (``make web`` does the same); the path served, or None."""
    import shutil

    if static_dir is None:
        from spacerange.server.deps import Settings

        static_dir = Settings.__dataclass_fields__["static_dir"].default
    dest = Path(static_dir) / "cesium"
    if (dest / "Cesium.js").exists():
        return dest
    src = _REPO / "web" / "node_modules" / "cesium" / "Build" / "Cesium"
    if not (src / "Cesium.js").exists():
        return None
    shutil.copytree(src, dest, dirs_exist_ok=True)
    return dest


def create_demo_accounts(store, roles: dict[str, str]) -> list[tuple[str, str, str, str | None]]:
    """One account per team (username = team id; white/evaluator accounts carry no team) with
    fresh random passwords; ``[(username, password, role, team)]``."""
    from spacerange.server.auth import hash_password

    made = []
    for team, role in roles.items():
        t = team if role in ("blue", "red", "observer") else None
        pw = secrets.token_urlsafe(9)
        store.upsert_user(team, hash_password(pw), role, t)
        made.append((team, pw, role, t))
    return made


@app.command()
def serve(
    scenario: Path | None = typer.Argument(
        None, help="Scenario YAML (default: the bundled AsterX demo, with demo accounts)."
    ),
    db: str | None = typer.Option(
        None, "--db", help=DB_HELP + " Default: server.sqlite in the run directory."
    ),
    run_dir: Path | None = typer.Option(
        None,
        "--out-dir",
        help="Exercise run directory (reopened after a crash; default out/serve/NAME).",
    ),
    run_dir_old: Path | None = typer.Option(
        None, "--run-dir", hidden=True, help="Deprecated: use --out-dir."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    speed_text: str | None = typer.Option(
        None,
        "--speed",
        help="Scenario seconds per wall second, as in 'exercise run --speed' ('max' makes no "
        "sense for a live server); default: the scenario's compression.",
    ),
    tick: str = typer.Option(
        "0.5s", "--tick", help="Wall-clock time between clock steps (duration, e.g. 0.5s)."
    ),
    demo_accounts: bool | None = typer.Option(
        None,
        "--demo-accounts/--no-demo-accounts",
        help="Create one account per team and print the passwords (default: on without SCENARIO).",
    ),
    trusted_proxy: list[str] = typer.Option(
        [],
        "--trusted-proxy",
        help="Address of a reverse proxy whose X-Forwarded-For is believed (repeatable; "
        "default none: the peer address is the client).",
    ),
    api_docs: bool = typer.Option(
        False, "--api-docs", help="Serve /docs and /redoc (they load scripts from a CDN)."
    ),
    max_body_kib: int = typer.Option(256, "--max-body-kib", help="Request body limit (KiB)."),
    lockout_max: str = typer.Option(
        "5m", "--lockout-max", help="Longest login back-off after failed passwords (duration)."
    ),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print one JSON object (URL, run directory, accounts) on stdout at start.",
    ),
) -> None:
    """Serve a live exercise (REST + WebSocket + web console) on HOST:PORT."""
    import uvicorn

    from spacerange.exercise.validate import load_scenario
    from spacerange.server.deps import Settings
    from spacerange.server.main import create_app

    with guard(as_json):
        from spacerange.scenarios import bundled_scenario, resolve_scenario

        run_dir = deprecated_alias("--run-dir", "--out-dir", run_dir_old, run_dir)
        tick_s = parse_duration_option(tick, "--tick")
        lockout_max_s = parse_duration_option(lockout_max, "--lockout-max", positive=False)
        speed = None
        if speed_text is not None:
            # one meaning with 'exercise run --speed': scenario seconds per wall second
            if speed_text.strip().lower() == "max":
                raise ValueError(
                    "--speed max: a live server runs on the wall clock; give scenario seconds "
                    "per wall second (e.g. --speed 60), or play unattended with 'exercise run'"
                )
            try:
                speed = float(speed_text)
            except ValueError:
                raise ValueError(
                    f"--speed {speed_text!r}: expected scenario seconds per wall second"
                ) from None
            if not speed > 0:
                raise ValueError(f"--speed {speed_text}: must be > 0")
        demo = scenario is None
        scenario = bundled_scenario("asterx-demo") if demo else resolve_scenario(scenario)
        if demo_accounts is None:
            demo_accounts = demo
        sc = load_scenario(scenario)
        if run_dir is None:
            run_dir = Path("out") / "serve" / scenario.stem
        run_dir.mkdir(parents=True, exist_ok=True)
        db_url = store_url(db) if db else _default_db(run_dir)
        if ensure_cesium_assets() is None:
            err.print(
                "[yellow]Cesium assets missing from this installation: the console runs "
                "without the 3D globe (in a source checkout, run 'make web').[/]"
            )
        store = open_store(db_url)
        made = []
        if demo_accounts:
            made = create_demo_accounts(store, {t.id: t.role for t in sc.teams})
            if not as_json:
                out.print("[bold]EXERCISE EXERCISE EXERCISE[/] demo accounts (user / password):")
                for user, pw, role, team in made:
                    out.print(f"  {user:<20} {pw:<16} {role:<10} {team or ''}")
        elif store.count_users() == 0:
            err.print("[yellow]No accounts yet: run 'spacerange admin bootstrap --db DB'.[/]")
        store.close()
        settings = Settings(
            db_url=db_url,
            run_dir=run_dir,
            scenario=scenario,
            speed=speed,
            tick_s=tick_s,  # from --tick
            api_docs=api_docs,
            trusted_proxies=tuple(trusted_proxy),
            max_body_bytes=max_body_kib * 1024,
            throttle_max_s=lockout_max_s,  # from --lockout-max
        )
        url = f"http://{host}:{port}/"
        if as_json:
            emit(
                {
                    "url": url,
                    "scenario": str(scenario),
                    "out_dir": str(run_dir),
                    "accounts": [
                        {"user": u, "password": pw, "role": r, "team": t} for u, pw, r, t in made
                    ],
                },
                True,
            )
        else:
            out.print(f"Scenario {scenario} -> run dir {run_dir}; console at {url}")
        # Proxy headers only from configured proxies: uvicorn's default trusts 127.0.0.1,
        # which lets any local client pick its address for the login throttle.
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=bool(trusted_proxy),
            forwarded_allow_ips=",".join(trusted_proxy) if trusted_proxy else "",
            ws_max_size=settings.max_body_bytes,
            server_header=False,
        )


@admin_app.command("bootstrap")
def bootstrap(
    db: str = typer.Option(..., "--db", help=DB_HELP),
    username: str = typer.Option("admin", "--username", help="Login name of the admin account."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Create (or reset) the admin account and print its one-time password (it must be
    changed at first login; a reset ends the account's sessions)."""
    from spacerange.server.auth import generate_password, hash_password

    with guard(as_json):
        store = open_store(store_url(db))
        pw = generate_password(15)
        store.upsert_user(username, hash_password(pw), "admin", None, must_change=True)
        store.close()
        emit(
            {"username": username, "password": pw, "role": "admin"},
            as_json,
            lambda r: out.print(
                f"admin account [bold]{r['username']}[/], one-time password: {r['password']}"
            ),
        )


@admin_app.command("add-user")
def add_user(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., "--role", help="white|blue|red|evaluator|observer|admin"),
    team: str | None = typer.Option(None, "--team", help="Team id (blue/red/observer)."),
    db: str = typer.Option(..., "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Create (or reset) an account with a generated one-time password, printed once (it
    must be changed at first login; a reset ends the account's sessions)."""
    from spacerange.server.auth import generate_password, hash_password
    from spacerange.server.store import ROLES

    with guard(as_json):
        if role not in ROLES:
            raise ValueError(f"--role {role!r}: expected one of {', '.join(ROLES)}")
        if role in ("blue", "red", "observer") and not team:
            raise ValueError(f"--role {role} needs --team")
        store = open_store(store_url(db))
        pw = generate_password(12)
        store.upsert_user(username, hash_password(pw), role, team, must_change=True)
        store.close()
        emit({"username": username, "password": pw, "role": role, "team": team}, as_json)
