"""busanhub.db.Columns: a model's instance from a hand-written SELECT equals the ORM's."""

import pytest
from django.db import connection

from busanhub.accounts.models import User
from busanhub.accounts.tests.factories import UserFactory
from busanhub.db import Columns

pytestmark = pytest.mark.django_db


def test_an_instance_from_the_columns_is_the_orms():
    user = UserFactory(name="김민지", preferred_language="en")
    users = Columns(User, "u")
    with connection.cursor() as cursor:
        sql = f"SELECT 7, {users.sql} FROM accounts_user AS u WHERE u.id = %s"  # noqa: S608
        cursor.execute(sql, [user.pk])
        row = cursor.fetchone()

    loaded = users.instance(row, 1)

    expected = User.objects.get(pk=user.pk)
    assert len(users) == len(User._meta.concrete_fields)
    assert {f.attname: getattr(loaded, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields
    }
    assert not loaded._state.adding and loaded._state.db == "default"
