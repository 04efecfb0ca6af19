from django import forms

from busanhub.accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "preferred_language"]
        widgets = {"name": forms.TextInput(attrs={"autocomplete": "name"})}
