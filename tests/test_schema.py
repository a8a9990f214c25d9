"""The schema is one definition: Arrow and Spark agree, the validator catches every alignment violation, and the
written files are readable as-is by DuckDB, Hugging Face datasets and OBELICS-style loaders."""
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.document import Document, from_batch, to_batch
from engine.io.output import AtomicParquetWriter
from schemas import SCHEMA_VERSION, SchemaError, arrow_schema, validate_table
from schemas.validate import table_errors


def _docs(n=3):
    docs = []
    for i in range(n):
        d = Document(id=f"id{i}", url=f"https://www.example.org/p/{i}")
        d.add_text(f"Paragraph one of document {i}.")
        d.add_image(f"https://img.example.org/{i}.jpg", alt=f"alt {i}", width=640, height=480)
        d.add_text("Closing paragraph.")
        d.meta["language"] = "en"
        docs.append(d)
    return docs


def _table(docs):
    return pa.Table.from_batches([to_batch(docs)])


def test_round_trip_keeps_alignment_and_fields():
    docs = _docs()
    back = from_batch(to_batch(docs))
    assert [d.texts for d in back] == [d.texts for d in docs]
    assert [d.images for d in back] == [d.images for d in docs]
    assert back[1].image_meta[1]["alt"] == "alt 1" and back[1].image_meta[0] is None
    assert back[0].meta["domain"] == "example.org"
    assert back[0].meta["num_images"] == 1 and back[0].meta["num_texts"] == 2
    assert back[0].meta["schema_version"] == SCHEMA_VERSION
    validate_table(_table(back))


def _mutate(table, column, rows):
    idx = table.schema.get_field_index(column)
    return table.set_column(idx, table.schema.field(column), pa.array(rows, type=table.schema.field(column).type))


@pytest.mark.parametrize(
    "column,rows,message",
    [
        ("texts", [["a", None], ["a", None, "b"], ["a", None, "b"]], "lengths differ"),
        ("texts", [["a", "x", "b"], ["a", None, "b"], ["a", None, "b"]], "both or neither"),
        ("images", [[None, None, None], [None, "u", None], [None, "u", None]], "both or neither"),
    ],
)
def test_validator_rejects_misaligned_rows(column, rows, message):
    table = _mutate(_table(_docs()), column, rows)
    errors = table_errors(table)
    assert any(message in e for e in errors), errors
    with pytest.raises(SchemaError):
        validate_table(table)


def test_validator_rejects_metadata_at_text_position_and_duplicate_ids():
    table = _table(_docs())
    meta_type = table.schema.field("metadata").type
    bad_meta = table["metadata"].to_pylist()
    bad_meta[0][0] = {"alt": "metadata on a text position"}
    table = table.set_column(3, "metadata", pa.array(bad_meta, type=meta_type))
    assert any("metadata presence" in e for e in table_errors(table))
    dup = _table(_docs(1) + _docs(1))
    assert any("duplicate" in e for e in table_errors(dup))


def test_validator_rejects_wrong_schema():
    table = _table(_docs()).drop_columns(["images"])
    assert any("missing column images" in e for e in table_errors(table))


def test_spark_schema_matches_arrow_field_names():
    pytest.importorskip("pyspark")
    from schemas import spark_schema

    spark = spark_schema()
    assert [f.name for f in spark.fields] == arrow_schema().names
    gm = spark["general_metadata"].dataType
    assert [f.name for f in gm.fields] == [f.name for f in arrow_schema().field("general_metadata").type]


@pytest.fixture()
def written_file(tmp_path):
    path = tmp_path / "crawl=CC-TEST" / "part.parquet"
    w = AtomicParquetWriter(str(path), arrow_schema())
    w.write(to_batch(_docs(5)))
    assert w.close() == 5
    return path


def test_written_file_is_zstd_and_validated(written_file):
    meta = pq.ParquetFile(written_file).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert not [p for p in written_file.parent.iterdir() if p.name.startswith(".tmp")]


def test_duckdb_reads_output_as_is(written_file):
    duckdb = pytest.importorskip("duckdb")
    rows = duckdb.sql(
        f"select general_metadata.url as url, len(texts) as n, crawl from read_parquet('{written_file}', "
        "hive_partitioning=true) order by url"
    ).fetchall()
    assert len(rows) == 5 and rows[0][1] == 3 and rows[0][2] == "CC-TEST"


def test_hf_datasets_reads_output_as_is(written_file, tmp_path):
    datasets = pytest.importorskip("datasets")
    ds = datasets.load_dataset("parquet", data_files=str(written_file), split="train",
                               cache_dir=str(tmp_path / "hf-cache"))
    assert ds.num_rows == 5
    row = ds[0]
    # OBELICS-style consumers zip texts and images: exactly one of them per position
    assert all((t is None) != (i is None) for t, i in zip(row["texts"], row["images"]))


def test_validator_ignores_declared_nullability_but_not_types():
    table = _table(_docs())
    gm_type = table.schema.field("general_metadata").type
    # Spark declares computed struct fields NOT NULL: same data, stricter declaration -> still valid
    strict = pa.struct([pa.field(f.name, f.type, nullable=(f.name != "id")) for f in gm_type])
    cast = table.set_column(0, "general_metadata", table["general_metadata"].cast(strict))
    assert table_errors(cast) == []
    # a different type is an error
    wrong = pa.struct([pa.field(f.name, pa.int64() if f.name == "num_texts" else f.type) for f in gm_type])
    bad = table.set_column(0, "general_metadata", table["general_metadata"].cast(wrong))
    assert any("general_metadata" in e for e in table_errors(bad))
