"""Table definitions (one source of truth) and the validator."""
from schemas.omnicorpus import (  # noqa: F401
    GENERAL_METADATA_NAMES,
    IMAGE_METADATA_NAMES,
    SCHEMA_VERSION,
    SCORE_NAMES,
    arrow_schema,
    spark_schema,
    warc_images_schema,
)
from schemas.validate import SchemaError, validate_file, validate_table  # noqa: F401
