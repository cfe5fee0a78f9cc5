"""Reading an EHR's FHIR API: read by id, search following ``Bundle.link`` next.

::

    async with FhirClient(config) as ehr:
        patient = await ehr.read("Patient", "123")
        async for encounter in ehr.search("Encounter", {"patient": "Patient/123"}):
            ...

Every failure is careweave's own, judged by the shared HTTP boundary
(:mod:`careweave.connectors.http_boundary`): transport problems, 408/425/429 and 5xx are
:class:`~careweave.exceptions.TransientDeliveryError`, other refusals (4xx) are
:class:`~careweave.exceptions.PermanentDeliveryError`, an answer that is not FHIR is a
:class:`~careweave.exceptions.FhirError`. A 401 makes the client fetch a new token and try once
more.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType

import httpx
import msgspec

from careweave.codecs.fhir.bundle import Bundle
from careweave.codecs.fhir.decode import AnyResource, bundle_entries, decode_resource
from careweave.connectors.fhir_client.config import FhirClientConfig
from careweave.connectors.fhir_client.smart import SmartTokenSource, load_private_key
from careweave.connectors.http_boundary import raise_for_status, send
from careweave.exceptions import ConfigError, FhirError

FHIR_JSON = "application/fhir+json"


class _Link(msgspec.Struct):
    relation: str = ""
    url: str = ""


class _Links(msgspec.Struct):
    """The paging links of a searchset (careweave's Bundle struct leaves them out)."""

    link: list[_Link] = msgspec.field(default_factory=list)


class FhirClient:
    """An EHR's FHIR API, read as a SMART backend service."""

    def __init__(
        self,
        config: FhirClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            timeout=config.timeout, transport=transport, headers={"Accept": FHIR_JSON}
        )
        self.tokens: SmartTokenSource | None = None
        if config.token_url:
            if not (config.client_id and config.private_key_path):
                raise ConfigError("a FHIR client with a token_url needs client_id and a key")
            key = load_private_key(config.private_key_path)
            self.tokens = SmartTokenSource(self._http, config, key, clock)

    async def __aenter__(self) -> FhirClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # -- reads --------------------------------------------------------------------------------

    async def read(self, resource_type: str, resource_id: str) -> AnyResource:
        """``GET [base]/{type}/{id}``, decoded."""
        return decode_resource(await self.read_raw(f"{resource_type}/{resource_id}"))

    async def read_raw(self, reference: str) -> bytes:
        """The JSON of the resource ``reference`` names (``Patient/1`` or a URL under the base).

        The answer is checked to be a valid resource before it is returned.
        """
        url = self._url(reference)
        body = await self._get(url, None)
        try:
            decode_resource(body)
        except FhirError as exc:
            raise FhirError(f"GET {url}: {exc.message}") from exc
        return body

    async def search_pages(
        self, resource_type: str, params: Mapping[str, str] | None = None
    ) -> AsyncIterator[Bundle]:
        """Each page (a searchset Bundle) of a search, following the ``next`` links."""
        url: str | None = f"{self.base_url}/{resource_type}"
        query: Mapping[str, str] | None = params
        for _ in range(self.config.max_pages):
            if url is None:
                return
            body = await self._get(url, query)
            page = decode_resource(body)
            if not isinstance(page, Bundle):
                raise FhirError(f"GET {url}: expected a searchset Bundle, got another resource")
            yield page
            url = self._next_link(body)
            query = None  # the next link carries the whole query
        raise FhirError(f"search {resource_type}: more than {self.config.max_pages} pages")

    async def search(
        self, resource_type: str, params: Mapping[str, str] | None = None
    ) -> AsyncIterator[AnyResource]:
        """Every resource a search matches, page after page (included resources too)."""
        async for page in self.search_pages(resource_type, params):
            for _full_url, resource in bundle_entries(page):
                yield resource

    # -- plumbing -----------------------------------------------------------------------------

    def _url(self, reference: str) -> str:
        if reference.startswith(("http://", "https://")):
            if not reference.startswith(self.base_url + "/"):
                raise FhirError(f"reference {reference} is not on the server {self.base_url}")
            return reference
        return f"{self.base_url}/{reference.lstrip('/')}"

    def _next_link(self, body: bytes) -> str | None:
        try:
            links = msgspec.json.decode(body, type=_Links).link
        except msgspec.ValidationError as exc:
            raise FhirError(f"searchset Bundle has malformed links: {exc}") from exc
        link = next((x.url for x in links if x.relation == "next" and x.url), None)
        if link is None:
            return None
        # The token must never travel to another server, whatever a page says.
        return self._url(link)

    async def _get(self, url: str, params: Mapping[str, str] | None) -> bytes:
        for attempt in (1, 2):
            headers = {}
            token = await self.tokens.get() if self.tokens is not None else None
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            response = await send(self._http, "GET", url, params=params, headers=headers)
            if response.status_code == 401 and token is not None and attempt == 1:
                assert self.tokens is not None  # a token came from it
                self.tokens.invalidate(token)
                continue
            return raise_for_status(response).content
        raise AssertionError("unreachable")  # pragma: no cover
