"""File uploads: the GraphQL multipart request specification, and the `Upload` scalar.

A client posts `multipart/form-data` with an `operations` part (the usual JSON body), a `map`
part (`{"0": ["variables.file"]}`) and the files themselves; each file takes the place the map
names in the variables (https://github.com/jaydenseric/graphql-multipart-request-spec). Django
streams the files to disk above its in-memory limit; they are never read into the query text.
"""

from __future__ import annotations

import json
from typing import Any

import graphene
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest

from crm.platform.core.errors import CrmError, ErrorCode


class Upload(graphene.Scalar):
    """A file sent as a part of a multipart request (GraphQL multipart request spec)."""

    @staticmethod
    def serialize(value: Any) -> None:
        return None

    @staticmethod
    def parse_value(value: Any) -> Any:
        return value

    @staticmethod
    def parse_literal(node: Any, _variables: Any = None) -> None:
        return None  # a file cannot be written inline in the query text


def _invalid(reason: str) -> CrmError:
    return CrmError(ErrorCode.INVALID_ARGUMENT, field="operations", reason=reason)


def _place(target: Any, path: list[str], upload: UploadedFile) -> None:
    for index, step in enumerate(path):
        last = index == len(path) - 1
        if isinstance(target, list):
            if not step.isdigit() or int(step) >= len(target):
                raise _invalid(f"the map names {'.'.join(path)!r}, which is not in the variables")
            position: Any = int(step)
        elif isinstance(target, dict):
            position = step
            if position not in target:
                raise _invalid(f"the map names {'.'.join(path)!r}, which is not in the variables")
        else:
            raise _invalid(f"the map names {'.'.join(path)!r}, which is not in the variables")
        if last:
            target[position] = upload
        else:
            target = target[position]


def multipart_operations(request: HttpRequest) -> dict[str, Any]:
    """The operation of a multipart request, its files put where the map says."""
    try:
        operations = json.loads(request.POST.get("operations", ""))
        mapping = json.loads(request.POST.get("map", "{}"))
    except json.JSONDecodeError:
        raise _invalid("'operations' and 'map' must be JSON") from None
    if not isinstance(operations, dict) or not isinstance(mapping, dict):
        raise _invalid("one operation (an object) and a map (an object) are expected")
    for key, paths in mapping.items():
        upload = request.FILES.get(key)
        if upload is None:
            raise _invalid(f"the map names file {key!r}, which was not sent")
        if not isinstance(paths, list):
            raise _invalid("each entry of the map is a list of paths")
        for dotted in paths:
            path = str(dotted).split(".")
            if path[0] != "variables":
                raise _invalid("files go into the variables")
            operations.setdefault("variables", {})
            _place(operations, path, upload)
    return operations
