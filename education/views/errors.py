"""How a refused service call reaches the page: as flash messages, or on its form."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def flash_errors(request, error: ValidationError) -> None:
    for field_messages in error.message_dict.values():
        for message in field_messages:
            messages.error(request, message)


def form_errors(form, error: ValidationError) -> None:
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)
