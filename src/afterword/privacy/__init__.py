"""Privacy: what is stored and for how long; anonymisation helpers every writer uses.

``install(app)`` mounts ``/privacy/{site}`` and ``/admin/privacy``, and runs the retention
job inside the app (:class:`afterword.privacy.retention.Maintainer`, one round per interval
across workers).
"""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    from afterword.privacy import admin
    from afterword.privacy.retention import Maintainer
    from afterword.privacy.web import router
    from afterword.web.app import run_while_serving

    app.include_router(router)
    app.include_router(admin.router)
    state = app.state
    state.maintainer = Maintainer(state.sessions, state.settings)
    run_while_serving(app, state.maintainer.start, state.maintainer.stop)
