"""Lost updates in the admin's change forms and inlines (issue 19, finding 1).

Every editable field of an existing row carries its value as the user loaded it (Django's hidden initial,
``show_hidden_initial``). On save, a field the user left as loaded keeps its current value, so a colleague's
change since the page was opened is not reverted; a field the user changed is stored; a field the user
changed that a colleague changed too, to something else, is a conflict, shown with the current value
(``kpis.entry.merge_fields``). Saving again then overwrites it: the user has seen both.

A post without the hidden values (a script, an old page) is saved as given, as before.
"""

from django import forms
from django.core.exceptions import ValidationError

from kpis.entry import conflict_message, merge_fields

OVERWRITE = "この入力で上書きする場合はもう一度保存してください（現在の値を残す場合は保存せずに戻ってください）"


def tracked(field: forms.Field) -> bool:
    """Fields a user edits and that compare as values: not files, many-to-many sets, hidden keys or disabled."""
    return not (
        field.disabled or field.widget.is_hidden or isinstance(field, (forms.FileField, forms.ModelMultipleChoiceField))
    )


class LoadedValuesForm(forms.ModelForm):
    untracked: tuple[str, ...] = ()  # form-only fields (a confirmation box), not stored values
    merged_elsewhere: tuple[str, ...] = ()  # fields a service merges itself (the entry's actual, note, URL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for name, field in self.fields.items():
                if tracked(field) and name not in self.untracked:
                    field.show_hidden_initial = True

    def loaded_values(self) -> dict | None:
        """The tracked fields as the user loaded them; None when the post carries none."""
        names = [name for name, field in self.fields.items() if field.show_hidden_initial]
        if not self.instance.pk or not any(self.add_initial_prefix(name) in self.data for name in names):
            return None
        loaded = {}
        for name in names:
            field = self.fields[name]
            raw = self._widget_data_value(field.hidden_widget(), self.add_initial_prefix(name))
            try:
                loaded[name] = field.to_python(raw)
            except ValidationError:
                return None
        return loaded

    def clean(self):
        cleaned = super().clean()
        loaded = self.loaded_values()
        if loaded is not None:
            self.keep_colleagues_changes(cleaned, loaded)
        return cleaned

    def keep_colleagues_changes(self, cleaned: dict, loaded: dict) -> None:
        # self.instance still holds the row as it is now: the form's values go into it after clean().
        names = [name for name in loaded if name not in self.merged_elsewhere and name in cleaned]
        current = {name: getattr(self.instance, name) for name in names}
        stored, conflicts = merge_fields(
            {name: cleaned[name] for name in names}, {name: loaded[name] for name in names}, current
        )
        cleaned.update(stored)
        for name in conflicts:
            self.add_error(name, f"{conflict_message(self.fields[name].label, current[name])}。{OVERWRITE}")
            self.show_current(name, current[name])

    def show_current(self, name: str, value) -> None:
        """Render the current value as the loaded one: the user has seen it, so saving again overwrites it."""
        if not hasattr(self.data, "_mutable") or not self.data._mutable:
            self.data = self.data.copy()
        field = self.fields[name]
        self.data[self.add_initial_prefix(name)] = field.hidden_widget().format_value(field.prepare_value(value)) or ""
