"""Staff type what a page really says; the item page shows each page's error rate, the project page each batch's."""

from __future__ import annotations

import pytest

from kitabkhana.digitization.models import Batch, OcrPage
from kitabkhana.digitization.services.ocr import item_ocr
from kitabkhana.digitization.tests.test_ocr import data_dir, make_book  # noqa: F401 (data_dir is a fixture)
from kitabkhana.imaging.specimen import PERSIAN_TEXT

pytestmark = pytest.mark.django_db


def test_ground_truth_typed_on_the_item_page_gives_the_pages_and_the_batchs_error_rate(
        client, cataloguer, tmp_path, page_scan, data_dir):  # noqa: F811
    lines = PERSIAN_TEXT.split("\n")
    first, second = "\n".join(lines[:2]), "\n".join(lines[2:4])
    item = make_book(tmp_path, page_scan, texts=[first, second])
    batch = Batch.objects.create(project=item.project, name="2026-11")
    item.batch = batch
    item.save(update_fields=["batch"])
    item_ocr(item=item)
    page = client.get(f"/staff/digitization/items/{item.pk}/").content.decode()
    assert "Ground truth of a page" in page and "fas" in page

    # A wrong transcription of page 2 (one word changed) gives a measurable error rate; page 1 is exact.
    wrong = second.replace("طره", "طرح")
    assert client.post(f"/staff/digitization/items/{item.pk}/ground-truth/", {"page": 1, "text": first}).status_code == 302
    client.post(f"/staff/digitization/items/{item.pk}/ground-truth/", {"page": 2, "text": wrong})
    rates = dict(OcrPage.objects.filter(page__item=item).values_list("page__order", "cer"))
    assert rates[1] < 0.05 and rates[2] > rates[1]
    project_page = client.get(f"/staff/digitization/{item.project.code}/").content.decode()
    assert "2026-11" in project_page and f"{(rates[1] + rates[2]) / 2:.4f}" in project_page

    # A page that does not exist is named.
    response = client.post(f"/staff/digitization/items/{item.pk}/ground-truth/", {"page": 9, "text": "x"})
    assert response.status_code == 400 and "No page 9" in response.content.decode()


def test_changes_to_who_may_read_an_item_are_recorded(client, cataloguer, tmp_path, page_scan, data_dir):  # noqa: F811
    item = make_book(tmp_path, page_scan, texts=["\n".join(PERSIAN_TEXT.split("\n")[:2])])
    response = client.post(f"/staff/digitization/items/{item.pk}/access/", {
        "access": "registered", "embargo_until": "2030-01-01", "downloadable": "", "rights": "", "structure": ""})
    assert response.status_code == 302
    [change] = item.access_changes.all()
    assert change.user == cataloguer
    assert "access: open → registered" in change.changes and "embargo_until: — → 2030-01-01" in change.changes
    assert "downloadable: True → False" in change.changes
    page = client.get(f"/staff/digitization/items/{item.pk}/").content.decode()
    assert "Changes to who may read it" in page and "open → registered" in page
    # Saving the same settings again records nothing.
    client.post(f"/staff/digitization/items/{item.pk}/access/", {
        "access": "registered", "embargo_until": "2030-01-01", "downloadable": "", "rights": "", "structure": ""})
    assert item.access_changes.count() == 1
