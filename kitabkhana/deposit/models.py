"""Publishers, their ISBN prefixes and users; CIP requests with their audit trail; national bibliography numbers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Publisher(models.Model):
    """A publishing house that asks for CIP data and deposits its books; staff approve it before it may ask."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(max_length=255)
    # Names in other languages, keyed by language code, as Institution.names.
    names = models.JSONField(default=dict, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=64, blank=True)
    contact_person = models.CharField(max_length=255, blank=True)
    address = models.TextField(blank=True)
    city = models.CharField(max_length=128, blank=True)
    # The city in other languages, keyed by language code: a Persian book's imprint and CIP block name the place
    # of publication in Persian ("تهران"), not as it is written in the registration ("Tehran").
    city_names = models.JSONField(default=dict, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.name

    def city_in(self, language: str) -> str:
        return self.city_names.get(language) or self.city


class PublisherIsbnPrefix(models.Model):
    """A registered ISBN prefix (registration group + registrant), kept hyphen-less as ISBN-13 digits."""

    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="isbn_prefixes")
    prefix = models.CharField(max_length=13, unique=True, help_text=_("Digits only, e.g. 9786005"))
    display = models.CharField(max_length=20, help_text=_("As written, e.g. 978-600-5"))

    class Meta:
        ordering = ["prefix"]

    def __str__(self) -> str:
        return self.display


class PublisherMembership(models.Model):
    """A user who acts for a publisher in the portal."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="publisher_membership")
    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="members")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} → {self.publisher}"


class CipRequest(models.Model):
    """A publisher's request for Cataloguing-in-Publication data for a forthcoming title."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In review")
        RETURNED = "returned", _("Returned for correction")
        APPROVED = "approved", _("Approved")
        DEPOSITED = "deposited", _("Deposited")

    class Medium(models.TextChoices):
        PRINT = "print", _("Printed book")
        ELECTRONIC = "electronic", _("E-book (PDF or EPUB)")

    publisher = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="cip_requests")
    # The queue the request sits in: the national library unless the publisher's region has its own centre.
    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="cip_requests")
    title = models.CharField(max_length=500)
    subtitle = models.CharField(max_length=500, blank=True)
    # [{"name": "...", "role": "author"}, ...]; role is a MARC relator term.
    contributors = models.JSONField(default=list, blank=True)
    edition = models.CharField(max_length=255, blank=True)
    series = models.CharField(max_length=255, blank=True)
    expected_date = models.DateField(help_text=_("Expected publication date (Gregorian)"))
    pages = models.PositiveIntegerField(null=True, blank=True)
    format = models.CharField(max_length=64, blank=True, help_text=_("e.g. 24 cm, paperback"))
    # An e-book is deposited as its file (ElectronicDeposit); a printed book as copies (DepositReceipt).
    medium = models.CharField(max_length=16, choices=Medium.choices, default=Medium.PRINT)
    # ISO 639-2/B codes, the first is the language of the text.
    languages = models.JSONField(default=list, blank=True)
    # Normalised ISBN-13 digits, as the catalogue keeps them in RecordIdentifier.
    isbns = models.JSONField(default=list, blank=True)
    summary = models.TextField(blank=True)
    contents = models.TextField(blank=True)
    front_matter = models.FileField(upload_to="deposit/front-matter/%Y/", blank=True)
    # What the cataloguer adds to the record: subject headings (one per line, "--" between subdivisions) and a
    # class number, kept here so the record can be rebuilt when the publisher corrects the request.
    subjects = models.JSONField(default=list, blank=True)
    classification = models.CharField(max_length=64, blank=True)
    classification_scheme = models.CharField(max_length=8, blank=True, choices=[("ddc", "DDC"), ("udc", "UDC")])
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="cip_assignments")
    record = models.ForeignKey("catalogue.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    nbn = models.CharField(max_length=32, blank=True, verbose_name=_("National bibliography number"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    # Filled in when the copies arrive: the date the book actually came out, as the copy in hand says.
    published_on = models.DateField(null=True, blank=True)
    deposited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"CIP {self.pk}: {self.title}"


class CipEvent(models.Model):
    """One decision on a CIP request or a publisher (the audit trail: who, when, what, why)."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        EDIT = "edit", _("Edited")
        SUBMIT = "submit", _("Submitted")
        ASSIGN = "assign", _("Assigned")
        RECORD = "record", _("Record saved")
        RETURN = "return", _("Returned for correction")
        APPROVE = "approve", _("Approved")
        DEPOSIT = "deposit", _("Deposit received")
        CLAIM = "claim", _("Deposit claimed")
        PUBLISHER_APPROVE = "publisher_approve", _("Publisher approved")
        PUBLISHER_SUSPEND = "publisher_suspend", _("Publisher suspended")
        PUBLISHER_EDIT = "publisher_edit", _("Publisher details changed")
        FILE = "file", _("Electronic file deposited")
        FILE_ACCESS = "file_access", _("File access rule changed")

    request = models.ForeignKey(CipRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=32, choices=Action.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.message[:40]}"


class NationalBibliographyNumber(models.Model):
    """The last number issued in a Solar Hijri year; a row is locked while the next one is taken."""

    year = models.PositiveIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class CipIsbn(models.Model):
    """One ISBN claimed by a CIP request: the unique index that keeps two requests from sharing an ISBN."""

    request = models.ForeignKey(CipRequest, on_delete=models.CASCADE, related_name="isbn_rows")
    isbn = models.CharField(max_length=13, unique=True)

    def __str__(self) -> str:
        return self.isbn


class DepositRule(models.Model):
    """How many copies of a title are due, and to whom, for a material type and/or place of publication.

    Blank criteria match anything; the most specific matching rule wins (see selectors.copies_due), and the rule
    marked ``is_default`` applies when none matches.
    """

    name = models.CharField(max_length=255)
    material_type = models.CharField(max_length=16, blank=True, choices=[
        ("book", _("Book")), ("serial", _("Serial")), ("map", _("Map")), ("music", _("Printed music")),
        ("electronic", _("Electronic")),
    ])
    country = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2; blank for any"))
    city = models.CharField(max_length=128, blank=True, help_text=_("Blank for any city"))
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DepositRuleShare(models.Model):
    """Under a rule, the number of copies one institution receives."""

    rule = models.ForeignKey(DepositRule, on_delete=models.CASCADE, related_name="shares")
    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="+")
    copies = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "institution"], name="deposit_share_unique")]

    def __str__(self) -> str:
        return f"{self.rule}: {self.copies} × {self.institution_id}"


class DepositReceipt(models.Model):
    """One deposited copy: which institution received it, with what barcode, in what condition, when, by whom."""

    class Condition(models.TextChoices):
        GOOD = "good", _("Good")
        DAMAGED = "damaged", _("Damaged")
        INCOMPLETE = "incomplete", _("Incomplete")

    request = models.ForeignKey(CipRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="receipts")
    publisher = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="receipts")
    record = models.ForeignKey("catalogue.Record", on_delete=models.PROTECT, related_name="+")
    holding = models.ForeignKey("catalogue.Holding", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="+")
    barcode = models.CharField(max_length=64)
    condition = models.CharField(max_length=16, choices=Condition.choices, default=Condition.GOOD)
    received_on = models.DateField()
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_on", "id"]
        constraints = [models.UniqueConstraint(fields=["institution", "barcode"], name="deposit_receipt_barcode")]

    def __str__(self) -> str:
        return f"{self.institution_id} {self.barcode}"


class Claim(models.Model):
    """One reminder letter sent to a publisher for a missing deposit (the claims log)."""

    class Level(models.TextChoices):
        FIRST = "first", _("First claim")
        SECOND = "second", _("Second claim")
        FINAL = "final", _("Final claim")

    request = models.ForeignKey(CipRequest, on_delete=models.CASCADE, related_name="claims")
    level = models.CharField(max_length=8, choices=Level.choices)
    sent_at = models.DateTimeField()
    # The day the claim run counted as "today" (what the intervals are measured from).
    sent_on = models.DateField()
    to = models.EmailField()
    subject = models.CharField(max_length=500)
    body = models.TextField()
    language = models.CharField(max_length=8)

    class Meta:
        ordering = ["sent_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "level"], name="deposit_claim_level_once")]

    def __str__(self) -> str:
        return f"{self.level} claim for CIP {self.request_id} to {self.to}"


class ElectronicDeposit(models.Model):
    """A deposited file (PDF or EPUB) of a title, kept untouched with its checksum and read under its access rule."""

    class Access(models.TextChoices):
        STAFF = "staff", _("Library staff only")
        READING_ROOM = "reading_room", _("In the reading rooms")
        OPEN = "open", _("Open to everyone")

    request = models.ForeignKey(CipRequest, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="electronic_deposits")
    publisher = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="electronic_deposits")
    record = models.ForeignKey("catalogue.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(upload_to="deposit/electronic/%Y/", max_length=255)
    original_name = models.CharField(max_length=255)
    media_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    pages = models.PositiveIntegerField(null=True, blank=True)
    access = models.CharField(max_length=16, choices=Access.choices, default=Access.STAFF)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "sha256"], name="deposit_file_once_per_request")]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.sha256[:12]})"


class ElectronicDepositRead(models.Model):
    """One opening of a deposited file by someone other than its publisher: who, from where, when."""

    deposit = models.ForeignKey(ElectronicDeposit, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.deposit_id} {self.ip or ''}"
