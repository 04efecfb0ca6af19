from django import forms
from django.utils.translation import gettext_lazy as _

from education.models import Course, Lesson, Question
from education.services.courses import COURSE_FIELDS


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
            (u.slug, u.localized_name) for u in universities
        ]


class LabVerifyForm(forms.Form):
    valid = forms.TypedChoiceField(
        label=_("Does the chain accept this receipt?"),
        choices=[("true", _("Yes, verify returns true")), ("false", _("No, verify returns false"))],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
    )
    anchored_at = forms.IntegerField(
        label=_("What anchoredAt(root) returns"),
        min_value=1,
        help_text=_("The block time the contract stored for the receipt's root."),
    )
    proof_root = forms.RegexField(
        label=_("The root the proof leads to"),
        regex=r"^0x[0-9a-fA-F]{64}$",
        max_length=66,
        required=False,
        help_text=_(
            "Only when verify returns false: hash the leaf with the proof yourself and give "
            "the root you reach."
        ),
        error_messages={"invalid": _("Give a root: 0x and 64 hex digits.")},
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
        fields = list(COURSE_FIELDS)
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }


class LessonEditForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ["title", "body", "is_required", "max_attempts"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16})}


class CourseCreateForm(CourseEditForm):
    code = forms.SlugField(label=_("Code"), max_length=40)

    class Meta(CourseEditForm.Meta):
        fields = ["code", *CourseEditForm.Meta.fields]


class ModuleForm(forms.Form):
    title = forms.CharField(label=_("Module title"), max_length=200)


class LessonCreateForm(forms.Form):
    module = forms.ModelChoiceField(label=_("Module"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Lesson.Kind.choices)
    lab_task = forms.ChoiceField(
        label=_("Lab task"), required=False, choices=[("", "—"), *Lesson.LabTask.choices]
    )
    body = forms.CharField(label=_("Text (Markdown)"), required=False, widget=forms.Textarea)

    def __init__(self, *args, course, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["module"].queryset = course.modules.all()


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Question.Kind.choices)
    prompt = forms.CharField(
        label=_("Question"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line; start the correct ones with *."),
    )
    numeric_answer = forms.DecimalField(label=_("Numeric answer"), required=False)
    tolerance = forms.DecimalField(label=_("Tolerance"), required=False, min_value=0)
    feedback = forms.CharField(label=_("Feedback"), required=False, max_length=2000)

    def parsed_choices(self) -> list[tuple[str, bool]]:
        lines = [line.strip() for line in self.cleaned_data.get("choices", "").splitlines()]
        return [
            (line[1:].strip(), True) if line.startswith("*") else (line, False)
            for line in lines
            if line and line != "*"
        ]


class ImageForm(forms.Form):
    image = forms.ImageField(label=_("Image"))
    alt = forms.CharField(label=_("Description (alt text)"), max_length=200)
