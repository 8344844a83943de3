"""The `pages` helper logs a user in (the staff workflow browser test builds on it)."""

import pytest
from django.conf import settings
from django.contrib.auth.models import User

pytestmark = pytest.mark.browser


def test_pages_open_as_a_user_is_logged_in_to_the_admin(transactional_db, pages):
    user = User.objects.create_superuser("hq-browser", "hq-browser@example.jp", "a-long-password-for-tests")
    admin_index = f"/{settings.ADMIN_URL_PREFIX}"
    page = pages.open(admin_index, user=user)
    assert page.url.endswith(admin_index)  # not redirected to the login page
    assert "hq-browser" in page.locator("#user-tools").text_content()
    pages.screenshot(page, "admin-index")

    anonymous = pages.open(admin_index)
    assert anonymous.url.endswith(f"/{settings.ADMIN_URL_PREFIX}login/?next={admin_index}")
