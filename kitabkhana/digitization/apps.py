from django.apps import AppConfig


class DigitizationConfig(AppConfig):
    name = "kitabkhana.digitization"
    label = "digitization"
    verbose_name = "Digitization and remote access"

    def ready(self) -> None:
        from kitabkhana.catalogue.services.indexing import index_text_source_register
        from kitabkhana.digitization.selectors import ocr_text_of_records

        # Books are found in the catalogue by the words inside them.
        index_text_source_register(ocr_text_of_records)
