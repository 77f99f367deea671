"""The exception hierarchy: one base, :class:`CausalkitError`, subclasses by cause.

Every message says what was wrong, where, and what to do. The CLI prints
``error: <message>`` and exits 2.

Example:
    >>> err = SpecError("'avg' is not one of mean, proportion, ratio",
    ...                 file="designs/x.yaml", line=12, column=11, field="metrics[1].type")
    >>> str(err)
    "designs/x.yaml:12:11: metrics[1].type: 'avg' is not one of mean, proportion, ratio"
"""

from __future__ import annotations


class CausalkitError(Exception):
    """Base class of every error causalkit raises on purpose.

    Example:
        >>> str(CausalkitError("boom", hint="try again"))
        'boom (try again)'
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class SpecError(CausalkitError):
    """A spec file that cannot be read or does not follow the format.

    Example:
        >>> str(SpecError("field required", file="a.yaml", line=3, column=1, field="name"))
        'a.yaml:3:1: name: field required'
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        super().__init__(message, hint=hint)

    def _render(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{super()._render()}"


class DataError(CausalkitError):
    """Data that cannot be used: a missing or non-numeric column, NaN, an empty arm.

    Example:
        >>> str(DataError("column is missing", column="chat_minutes", source="d.csv"))
        "d.csv: column 'chat_minutes': column is missing"
    """

    def __init__(
        self,
        message: str,
        *,
        column: str | None = None,
        source: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.column = column
        self.source = source
        super().__init__(message, hint=hint)

    def _render(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        col = f"column {self.column!r}: " if self.column else ""
        return f"{prefix}{col}{super()._render()}"


class IdentificationError(CausalkitError):
    """A causal effect that the graph cannot identify, or a malformed graph.

    Example:
        >>> str(IdentificationError("the graph has a cycle: a -> b -> a"))
        'the graph has a cycle: a -> b -> a'
    """


class GateError(CausalkitError):
    """A gate that cannot decide: a corrupt state file, an unsupported spec kind.

    Example:
        >>> str(GateError("state file is corrupt", hint="restore it from the CI artifact"))
        'state file is corrupt (restore it from the CI artifact)'
    """


class RenderError(CausalkitError):
    """A report that cannot be rendered or written.

    Example:
        >>> str(RenderError("unknown format 'pdf'"))
        "unknown format 'pdf'"
    """


class ReportError(CausalkitError, ValueError):
    """A report (JSON or a mapping) that cannot be read back: wrong types, missing fields,
    an unknown ``schema_version``.

    It is also a :class:`ValueError`, as the readers raised before.

    Example:
        >>> str(ReportError("estimates[0]: missing field 'metric'"))
        "estimates[0]: missing field 'metric'"
    """


class DestinationError(CausalkitError, OSError):
    """A file causalkit was asked to write that it will not or cannot write.

    A destination must be a regular file or a new path: a symbolic link, a
    folder, a FIFO or a device is refused, and so is a folder that cannot be
    written. It is also an :class:`OSError`, as the writers raised before.

    Example:
        >>> str(DestinationError("out.json is a symbolic link", hint="remove the link"))
        'out.json is a symbolic link (remove the link)'
    """
