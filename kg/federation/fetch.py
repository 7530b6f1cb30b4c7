"""HTTP to a peer, and only to that peer.

Every request goes to a URL on one of the peer's configured servers (scheme, host and port of
its ``catalog`` or ``sparql`` URL). Redirects are followed by hand, and only while they stay
on those servers; a catalog page that links its next page elsewhere is refused the same way.
No proxy from the environment is used, and a body over the peer's ``max_bytes`` is cut off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from kg import __version__
from kg.errors import DskgError
from kg.federation.peers import Peer

MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
_LINK_NEXT = re.compile(r'<([^>]*)>\s*;[^,]*\brel\s*=\s*"?next"?', re.IGNORECASE)


class PeerUnavailable(DskgError):
    """The peer could not be reached, answered an error, or sent something we refuse."""

    status = 502
    title = "Peer unavailable"


@dataclass
class Fetched:
    url: str
    status: int
    content_type: str
    etag: str | None
    body: bytes
    link_next: str | None


class PeerClient:
    """An HTTP client bound to one peer's servers."""

    def __init__(self, peer: Peer, transport: httpx.BaseTransport | None = None) -> None:
        self.peer = peer
        self._http = httpx.Client(
            timeout=peer.timeout, follow_redirects=False, trust_env=False, transport=transport,
            headers={"User-Agent": f"dataspace-kg/{__version__} (harvester)"})

    def __enter__(self) -> PeerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def check(self, url: str) -> None:
        if not self.peer.allows(url):
            raise PeerUnavailable(
                f"refused to fetch {url}: it is not on a server of peer {self.peer.name!r} "
                "(only its configured catalog/sparql servers are contacted)", url=url)

    def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                content: bytes | None = None, data: dict[str, str] | None = None) -> Fetched:
        """One request with same-server redirects; 304 is returned, other >= 400 raise."""
        for _hop in range(MAX_REDIRECTS + 1):
            self.check(url)
            try:
                with self._http.stream(method, url, headers=headers, content=content,
                                       data=data) as response:
                    if response.status_code in _REDIRECTS:
                        location = response.headers.get("location")
                        if not location:
                            raise PeerUnavailable(f"{url} redirects without a Location")
                        url = urljoin(url, location)
                        if response.status_code == 303:
                            method, content, data = "GET", None, None
                        continue
                    if response.status_code >= 400:
                        raise PeerUnavailable(
                            f"{url} answered HTTP {response.status_code}",
                            url=url, http_status=response.status_code)
                    body = b"" if response.status_code == 304 else self._read(response, url)
                    link = _LINK_NEXT.search(response.headers.get("link", ""))
                    return Fetched(
                        url=url, status=response.status_code,
                        content_type=response.headers.get("content-type", ""),
                        etag=response.headers.get("etag"), body=body,
                        link_next=urljoin(url, link.group(1)) if link else None)
            except httpx.TimeoutException:
                raise PeerUnavailable(f"{url} did not answer within {self.peer.timeout:g} s",
                                      url=url, timeout=True) from None
            except httpx.HTTPError as exc:
                raise PeerUnavailable(f"cannot reach {url}: {exc}", url=url) from None
        raise PeerUnavailable(f"more than {MAX_REDIRECTS} redirects from {url}", url=url)

    def _read(self, response: httpx.Response, url: str) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.peer.max_bytes:
                raise PeerUnavailable(f"{url} sent more than {self.peer.max_bytes} bytes "
                                      "(the peer's max_bytes)", url=url)
            chunks.append(chunk)
        return b"".join(chunks)
