"""Routing's errors, in the contract's format."""
from contract import errors


def unknown(field: str, what: str, code_value: str) -> errors.ApiError:
    return errors.ApiError([errors.error(field, "not_found", f"Unknown {what}: {code_value}.",
                                         f"{what} tidak dikenal: {code_value}.")], status=404)


class RegistryError(Exception):
    """A registry file that cannot be applied; carries contract error items."""

    def __init__(self, items: list[dict]):
        super().__init__(items)
        self.items = items
