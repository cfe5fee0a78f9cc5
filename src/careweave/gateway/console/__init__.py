"""The operations console: server-rendered pages under ``/console`` of the API's application.

Login with the API's own tokens (``[[api.users]]``, same roles and scopes as the clients), the
channels and destinations, a message browser with each message's lineage, the exception work
queue with its fixes, dead letters, and a dashboard of inline SVG charts. No front-end build:
HTML, a small inline stylesheet, forms. docs/console.md.
"""

from careweave.gateway.console.auth import ConsoleAuth
from careweave.gateway.console.context import AnalyticsReader, ConsoleContext
from careweave.gateway.console.router import console_router

__all__ = ["AnalyticsReader", "ConsoleAuth", "ConsoleContext", "console_router"]
