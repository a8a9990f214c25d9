"""Arrow -> Spark type conversion, so the Spark schema is generated from the Arrow one."""
from __future__ import annotations

import pyarrow as pa


def to_spark_type(arrow):
    from pyspark.sql import types as T

    if isinstance(arrow, pa.Schema):
        return T.StructType([T.StructField(f.name, to_spark_type(f.type), f.nullable) for f in arrow])
    t = arrow
    if pa.types.is_struct(t):
        return T.StructType([T.StructField(f.name, to_spark_type(f.type), f.nullable) for f in t])
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return T.ArrayType(to_spark_type(t.value_type), True)
    if pa.types.is_map(t):
        return T.MapType(to_spark_type(t.key_type), to_spark_type(t.item_type), True)
    simple = {
        pa.string(): T.StringType(), pa.large_string(): T.StringType(), pa.binary(): T.BinaryType(),
        pa.int8(): T.ByteType(), pa.int16(): T.ShortType(), pa.int32(): T.IntegerType(),
        pa.int64(): T.LongType(), pa.float32(): T.FloatType(), pa.float64(): T.DoubleType(),
        pa.bool_(): T.BooleanType(),
    }
    if t in simple:
        return simple[t]
    if pa.types.is_timestamp(t):
        return T.TimestampType()
    raise TypeError(f"no Spark type for Arrow type {t}")
