"""The console's path parameters, bounded as the API's are."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter

Id = Annotated[int, PathParameter(ge=1, le=2**53)]
"""A record id in a path."""
Name = Annotated[str, PathParameter(min_length=1, max_length=200)]
"""A destination's name in a path."""
