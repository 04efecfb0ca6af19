from django import forms
from django.utils.translation import gettext_lazy as _

from . import photos, selectors
from .models import Category, CategoryAttribute


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """0–5 files; the service decodes and checks them, this only reads their bytes."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > photos.MAX_PHOTOS:
            raise forms.ValidationError(_("At most 5 photos per report."))
        for upload in files:
            if upload.size > photos.MAX_PHOTO_BYTES:
                raise forms.ValidationError(_("Each photo must be at most 10 MB."))
        return list(files)


def attribute_field_name(attribute: CategoryAttribute) -> str:
    return f"attribute[{attribute.code}]"


class ReportForm(forms.Form):
    """The citizen's report form for one category; its questions become fields."""

    lat = forms.CharField(
        label=_("Latitude"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    long = forms.CharField(
        label=_("Longitude"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    address = forms.CharField(
        label=_("Address or landmark (optional)"), required=False, max_length=300
    )
    description = forms.CharField(
        label=_("What is the problem?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("This text is public. Do not include names or phone numbers."),
    )
    photos = MultiplePhotoField(
        label=_("Photos (up to 5, JPEG/PNG/WebP, 10 MB each)"), required=False
    )

    def __init__(self, *args, category: Category, **kwargs):
        super().__init__(*args, **kwargs)
        self.category = category
        self.attribute_fields: list[str] = []
        for attribute in selectors.category_questions(category=category):
            if not attribute.variable:
                continue
            name = attribute_field_name(attribute)
            self.fields[name] = self._field_for(attribute)
            self.attribute_fields.append(name)

    @staticmethod
    def _field_for(attribute: CategoryAttribute) -> forms.Field:
        common = {
            "label": attribute.description,
            "required": False,  # the service checks requiredness, in one place for every door
            "help_text": attribute.datatype_description,
        }
        choices = [(value.key, value.name) for value in attribute.values.all()]
        datatype = attribute.datatype
        if datatype == CategoryAttribute.Datatype.TEXT:
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
        if datatype == CategoryAttribute.Datatype.NUMBER:
            return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
        if datatype == CategoryAttribute.Datatype.DATETIME:
            return forms.CharField(
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common
            )
        if datatype == CategoryAttribute.Datatype.SINGLE:
            return forms.ChoiceField(choices=[("", "—"), *choices], **common)
        if datatype == CategoryAttribute.Datatype.MULTI:
            return forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        return forms.CharField(max_length=255, **common)

    def answers(self) -> dict[str, list[str]]:
        result = {}
        for name in self.attribute_fields:
            value = self.cleaned_data.get(name)
            code = name[len("attribute[") : -1]
            if isinstance(value, list):
                result[code] = value
            elif value not in (None, ""):
                result[code] = [value]
        return result

    def add_service_errors(self, message_dict: dict[str, list[str]]) -> None:
        for field, messages in message_dict.items():
            target = field if field in self.fields else None
            if field == "photos":
                target = "photos"
            for message in messages:
                self.add_error(target, message)


class TransitionForm(forms.Form):
    """Staff: move one report (admin)."""

    to_status = forms.ChoiceField(label=_("New status"))
    template = forms.ModelChoiceField(label=_("Response template"), queryset=None, required=False)
    public_note = forms.CharField(
        label=_("Public note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    internal_note = forms.CharField(
        label=_("Internal note (staff only)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    duplicate_of = forms.UUIDField(label=_("Duplicate of (report id)"), required=False)

    def __init__(self, *args, choices, **kwargs):
        from .models import ResponseTemplate

        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = choices
        self.fields["template"].queryset = ResponseTemplate.objects.all()
