from django import forms
from django.utils.translation import gettext_lazy as _

from education.models import Course, Lesson


class CatalogueForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    university = forms.ChoiceField(label=_("University"), required=False)
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("Any level")), *Course.Level.choices]
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Any language")), *Course.Language.choices],
    )

    def __init__(self, *args, universities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["university"].choices = [("", _("Any university"))] + [
            (u.slug, u.name) for u in universities
        ]


class LabVerifyForm(forms.Form):
    valid = forms.TypedChoiceField(
        label=_("Does the chain accept this receipt?"),
        choices=[("true", _("Yes, verify returns true")), ("false", _("No, verify returns false"))],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
    )


class LabTxForm(forms.Form):
    tx_hash = forms.RegexField(
        label=_("Transaction hash"),
        regex=r"^0x[0-9a-fA-F]{64}$",
        max_length=66,
        error_messages={"invalid": _("Give the transaction hash (0x and 64 hex digits).")},
    )


class SandboxAnchorForm(forms.Form):
    text = forms.CharField(
        label=_("Text to anchor"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class CourseEditForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = [
            "title",
            "summary",
            "level",
            "language",
            "enrollment_policy",
            "is_enrollment_open",
            "capacity",
            "starts_on",
            "ends_on",
            "pass_mark",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }


class LessonEditForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ["title", "body", "is_required", "max_attempts"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16})}
