"""A record of a model as every layer passes it around: a plain dict `{field name: value}`."""

from typing import Any

Record = dict[str, Any]
