"""Readers register and sign in from home, and land back on the record they wanted to read."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from kitabkhana.accounts.selectors import staff_role
from kitabkhana.accounts.services import reader_register
from kitabkhana.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db
PASSWORD = "reading-from-home-42"


def test_registering_makes_a_signed_in_reader_without_a_staff_role(client):
    response = client.post("/accounts/register/", {"name": " Parvin  Etesami ", "email": "Parvin@Example.org",
                                                   "password": PASSWORD, "next": "/records/7/"})
    assert response.status_code == 302 and response["Location"] == "/records/7/"
    user = get_user_model().objects.get()
    assert (user.username, user.email, user.first_name) == ("parvin@example.org", "parvin@example.org",
                                                            "Parvin Etesami")
    assert not user.is_staff and staff_role(user) is None
    assert client.get("/accounts/home/")["Location"] == "/"  # a reader's home is the catalogue


def test_registration_refuses_a_taken_address_a_weak_password_and_an_outside_next(client):
    reader_register(name="Parvin", email="parvin@example.org", password=PASSWORD)
    taken = client.post("/accounts/register/", {"name": "P", "email": "PARVIN@example.org", "password": PASSWORD})
    assert taken.status_code == 400 and "already exists" in taken.content.decode()
    with pytest.raises(ValidationFailed, match="too short|too common"):
        reader_register(name="Sohrab", email="sohrab@example.org", password="1234")
    with pytest.raises(ValidationFailed, match="not an e-mail"):
        reader_register(name="Sohrab", email="sohrab", password=PASSWORD)
    outside = client.post("/accounts/register/", {"name": "Sohrab", "email": "sohrab@example.org",
                                                  "password": PASSWORD, "next": "https://elsewhere.example/"})
    assert outside.status_code == 302 and outside["Location"] == "/"


def test_a_reader_signs_in_with_the_e_mail_address_and_returns_to_the_record(client):
    reader_register(name="Parvin", email="parvin@example.org", password=PASSWORD)
    login = client.get("/accounts/login/?next=/records/7/").content.decode()
    assert 'href="/accounts/register/?next=/records/7/"' in login
    response = client.post("/accounts/login/", {"username": "parvin@example.org", "password": PASSWORD,
                                                "next": "/records/7/"})
    assert response.status_code == 302 and response["Location"] == "/records/7/"
