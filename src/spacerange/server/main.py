"""Assemble the FastAPI app: settings, store, exercise session, routers, static console."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from spacerange import __version__
from spacerange.server import ws
from spacerange.server.auth import Throttle, TokenSigner
from spacerange.server.deps import Settings
from spacerange.server.engine import ExerciseSession
from spacerange.server.limits import BodyLimit, SafeJSONResponse, validation_error_handler
from spacerange.server.routers import auth, excon, exercise, messages, room, teams
from spacerange.server.store import Store

__all__ = ["create_app", "CSP"]

#: Content-Security-Policy of every response: scripts, styles, workers and connections
#: from this origin only.  'unsafe-eval' is for Cesium's widgets (knockout bindings),
#: blob: for the scripts Cesium's workers import;
#: inline styles are Cesium's; no inline scripts, no plugins, no framing.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval' blob:; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self' ws: wss: data: blob:; "
    "font-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def create_app(settings: Settings) -> FastAPI:
    """The server app.  The store and the exercise open in the lifespan (startup)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        store = Store(settings.db_url)
        app.state.store = store
        app.state.signer = TokenSigner(store, ttl_s=settings.token_ttl_s)
        app.state.throttle = Throttle(
            store, settings.throttle_free, settings.throttle_base_s, settings.throttle_max_s
        )
        sess = ExerciseSession(
            settings.scenario,
            settings.run_dir,
            store,
            tick_s=settings.tick_s,
            speed=settings.speed,
            seed=settings.seed,
            autopilots=settings.autopilots,
        )
        await sess.start()
        app.state.session = sess
        try:
            yield
        finally:
            await sess.stop()
            app.state.session = None
            store.close()

    app = FastAPI(
        title="spacerange exercise server",
        version=__version__,
        description="EXERCISE EXERCISE EXERCISE. Multi-team live play of a spacerange scenario.",
        lifespan=lifespan,
        default_response_class=SafeJSONResponse,
        # Swagger UI and ReDoc load their scripts from a CDN (broken offline, and a third
        # party script next to session tokens): off unless asked for.
        docs_url="/docs" if settings.api_docs else None,
        redoc_url="/redoc" if settings.api_docs else None,
    )
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_middleware(
        BodyLimit, max_body_bytes=settings.max_body_bytes, max_depth=settings.max_json_depth
    )
    app.state.settings = settings
    app.state.session = None
    common = {
        400: {"description": "malformed request body (not strict JSON, or nested too deep)"},
        413: {"description": "request body over the configured limit"},
        403: {"description": "forbidden for this role or team"},
    }
    for mod in (auth, exercise, teams, excon, messages, room):
        app.include_router(mod.router, responses=common)
    app.include_router(ws.router)

    @app.middleware("http")
    async def _security_headers(request: Request, call_next):
        resp = await call_next(request)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("Content-Security-Policy", CSP)
        if request.url.path.startswith("/api/"):
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    static = settings.static_dir
    if (static / "cesium").is_dir():
        app.mount("/cesium", StaticFiles(directory=static / "cesium"), name="cesium")
    app.mount("/static", StaticFiles(directory=static), name="static")

    @app.get("/", include_in_schema=False, response_model=None)
    def index() -> FileResponse | HTMLResponse:
        page = static / "index.html"
        if not page.exists():
            return HTMLResponse("<h1>spacerange server</h1><p>console not built</p>")
        return FileResponse(page, media_type="text/html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict:
        """Liveness (no authentication, no data)."""
        return {"ok": True}

    return app
