"""Reading, record fields: the fields the options name (--text-field, --id-field, ...) looked up
in a JSON Lines or Parquet record, as a key or a dotted path into nested objects ("page.body"),
and everything else the record holds kept as the document's metadata, as datatrove's readers do."""

from __future__ import annotations

import base64
import datetime
import decimal
import math
from typing import Any, Iterable

# A record's own "metadata" object is merged with its other fields rather than nested in itself.
METADATA = "metadata"


def field_value(record: dict[str, Any], path: str) -> Any:
    """The value at `path`: the key itself when the record has it (a key may hold a dot), else
    the dotted path followed through nested objects; None when there is none."""
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def set_field(record: dict[str, Any], path: str, value: Any) -> None:
    """Put `value` where `field_value` finds `path` (at the top level when nothing is there)."""
    if path not in record and "." in path:
        head, _, rest = path.partition(".")
        if isinstance(record.get(head), dict) and field_value(record[head], rest) is not None:
            set_field(record[head], rest, value)
            return
    record[path] = value


def without_field(record: dict[str, Any], path: str) -> dict[str, Any]:
    """The record without the field at `path` (the same object when it has none); a nested
    object left empty goes too. The record itself is never changed."""
    if path in record:
        return {key: value for key, value in record.items() if key != path}
    head, _, rest = path.partition(".")
    inner = record.get(head)
    if not rest or not isinstance(inner, dict):
        return record
    trimmed = without_field(inner, rest)
    if trimmed is inner:
        return record
    copy = dict(record)
    if trimmed:
        copy[head] = trimmed
    else:
        del copy[head]
    return copy


def metadata_of(record: dict[str, Any], used: Iterable[str]) -> dict[str, Any]:
    """Every field of the record but the ones at the `used` paths (they become the document's own
    text, id and URL); a "metadata" object in the record is merged in, its other fields winning."""
    rest = record
    for path in used:
        rest = without_field(rest, path)
    nested = rest.get(METADATA)
    if isinstance(nested, dict):
        rest = {**nested, **{key: value for key, value in rest.items() if key != METADATA}}
    return {key: json_value(value) for key, value in rest.items()}


# Arrays and objects nested deeper than this make a record a reject: json.loads takes about
# 1,000 levels, but copying and writing the record recurse too (json_value twice a level), and a
# record of 500 levels crashed the run. serde_json stops at 128 by default; real records nest
# a few levels.
MAX_NESTING = 128


TOO_DEEP = f"record nested more than {MAX_NESTING} levels deep (JSON arrays or objects)"


def nesting_deeper_than(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether `value` holds arrays or objects nested more than `limit` levels (no recursion)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, (list, tuple)):
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in item if isinstance(child, (dict, list, tuple)))
    return False


def json_value(value: Any) -> Any:
    """A value as plain JSON: Parquet's dates and times in ISO form, decimals as numbers, bytes
    as UTF-8 text ("base64:..." when they are not UTF-8); NaN and infinities as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity (json.dumps would write an invalid NaN)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(value).decode("ascii")
    return str(value)
