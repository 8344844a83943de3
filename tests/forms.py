"""Reading a page's form as a browser would submit it, for tests that post real forms back."""

from html.parser import HTMLParser


class FormReader(HTMLParser):
    """The fields of one <form> (by id, or by position on the page) as a browser would submit them:
    inputs (checked boxes only; no file or button inputs), selected options, textareas."""

    def __init__(self, form_id=None, index=None):
        super().__init__()
        self.form_id, self.index = form_id, index
        self.forms_seen, self.inside, self.pairs = -1, False, []
        self.select, self.textarea, self.text = None, None, ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms_seen += 1
            self.inside = attrs.get("id") == self.form_id if self.form_id else self.forms_seen == self.index
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "file", "button", "image", "reset"):
            if attrs.get("type") in ("radio", "checkbox") and "checked" not in attrs:
                return
            self.pairs.append((name, attrs.get("value", "on" if attrs.get("type") == "checkbox" else "")))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.pairs.append((self.select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.pairs.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None

    @property
    def fields(self) -> dict:
        """name → value, or a list of values for a name sent several times (a multiple select)."""
        result: dict = {}
        for name, value in self.pairs:
            if name in result:
                previous = result[name]
                result[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                result[name] = value
        return result


def form_of(response, form_id=None, index=None) -> dict:
    reader = FormReader(form_id, index)
    reader.feed(response.content.decode())
    return reader.fields


def last_form(response) -> int:
    """The position of the page's last form (the entry screen's save form follows the chooser and reports)."""
    reader = FormReader()
    reader.feed(response.content.decode())
    return reader.forms_seen
