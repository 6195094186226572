"""HTTP to the container: a requests session that resolves relative paths against its URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

import requests

DEFAULT_TIMEOUT = 10.0


class BaseUrlSession(requests.Session):
    """``get("/number")`` goes to ``base_url + "/number"``; every request has a timeout."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        return super().request(method, urljoin(self.base_url, str(url)), *args, **kwargs)
