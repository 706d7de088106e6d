"""Headers every response carries: the staff pages may not be framed, sniffed or leak their URL as a
referrer, run only their own scripts, and nothing names the server software or its version."""
from __future__ import annotations

from aiohttp import web

# The pages are single files with inline script and style (no third-party code); they talk only to
# this origin, WebSocket included.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "Server": "govhall"}


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    # A signal rather than a middleware: it also reaches responses aiohttp makes itself (404, WebSocket).
    response.headers.update(HEADERS)


def setup(app: web.Application) -> None:
    app.on_response_prepare.append(add_security_headers)
