"""CaptureError: a capture refused, raised by its checks and its store alike."""


class CaptureError(Exception):
    """The document is refused; `errors` name the JSON path of each problem."""

    def __init__(self, errors: list[dict], status: int = 422):
        super().__init__(errors[0]["message"] if errors else "capture refused")
        self.errors = errors
        self.status = status
